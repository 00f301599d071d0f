#!/usr/bin/env bash
# Runs the scenario suite against a real Envoy in docker compose. Without a Docker engine it says
# so and skips: it never reports a pass it did not run.
set -euo pipefail
cd "$(dirname "$0")"

if ! docker info >/dev/null 2>&1; then
  echo "SKIPPED: no Docker engine (docker info failed), so the Envoy end-to-end suite did not run."
  echo "         Run 'make e2e-envoy' where Docker runs: it starts envoyproxy/envoy:v1.37.4 with"
  echo "         build/koji-edge.wasm (e2e/docker-compose.yaml) and runs ./e2e's TestEnvoy against it."
  exit 0
fi
if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  echo "SKIPPED: Docker runs but neither 'docker compose' nor 'docker-compose' is installed."
  exit 0
fi
project=(-f docker-compose.yaml -p koji-edge-e2e)
cleanup() {
  "${compose[@]}" "${project[@]}" logs --no-color envoy > ../build/e2e-envoy.log 2>&1 || true
  "${compose[@]}" "${project[@]}" down -v >/dev/null 2>&1 || true
}
trap cleanup EXIT
"${compose[@]}" "${project[@]}" up -d

echo "waiting for Envoy to be ready..."
for _ in $(seq 60); do
  if curl -fsS http://127.0.0.1:9901/ready >/dev/null 2>&1; then break; fi
  sleep 1
done
if ! curl -fsS http://127.0.0.1:9901/ready >/dev/null 2>&1; then
  echo "FAILED: Envoy did not become ready in 60 s; its log is in build/e2e-envoy.log"
  exit 1
fi

KOJI_E2E_ENVOY_URL=http://127.0.0.1:10000 KOJI_E2E_ENVOY_ADMIN=http://127.0.0.1:9901 \
  go test -count=1 -v -run '^TestEnvoy$' .

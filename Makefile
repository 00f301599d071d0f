# koji-edge: a Proxy-Wasm rate-limit and CORS filter for Envoy and Istio.
GO       ?= go
WASM     := build/koji-edge.wasm
LISTEN   ?= localhost:8080
UPSTREAM ?=
CONFIG   ?= examples/demo.json
export KOJI_WASM := $(abspath $(WASM))

.PHONY: build run test bench pgo fuzz soak e2e-envoy image clean

## build: the .wasm (a WASI reactor for Envoy >= 1.33), then its size; go build optimises it with
## the committed profile cmd/koji-edge/default.pgo (make pgo)
build:
	@mkdir -p build
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -trimpath -o $(WASM) ./cmd/koji-edge
	@echo "$(WASM): $$(wc -c < $(WASM)) bytes"

## run: serve the filter in the local Envoy-faithful host on $(LISTEN), in front of a demo upstream
run: build
	$(GO) build -o build/kojihost ./cmd/kojihost
	./build/kojihost --listen $(LISTEN) --config $(CONFIG) $(if $(UPSTREAM),--upstream $(UPSTREAM))

## test: everything: unit and property tests, the .wasm in the host (imports, proxytest, rate
## limits, CORS), the Envoy/Istio schema checks, the scenario suite over real HTTP, the browser
## test, short fuzz runs, then the Envoy docker-compose suite (skips, saying why, without Docker)
test: build
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./proxywasm ./filter ./cmd/koji-edge
	$(GO) test -count=1 -timeout 20m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(TEST_FUZZTIME)
	$(MAKE) --no-print-directory e2e-envoy

## bench: the benchmarks behind BENCHMARKS.md
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -count 6 ./bench/ ./limiter/ > build/bench.txt 2>&1; s=$$?; cat build/bench.txt; exit $$s

## pgo: re-measure cmd/koji-edge/default.pgo, the call profile go build inlines the hot path with
## (bench/pgo_test.go); run it after changing the hot path, then make bench
pgo:
	KOJI_PGO_OUT=$(abspath cmd/koji-edge/default.pgo) $(GO) test -count=1 -run '^TestPGOProfile$$' -v ./bench/

FUZZTIME ?= 5m
# make test's short runs count executions: a duration can fail spuriously with "context deadline
# exceeded" when it ends mid-execution (Go's fuzz coordinator, golang/go#75804, fixed in Go 1.27).
TEST_FUZZTIME ?= 30000x
FUZZ_TARGETS := ./config:FuzzParse ./cors:FuzzOrigin ./cors:FuzzRequestHeaders ./filter:FuzzRequest
## fuzz: each fuzz target for FUZZTIME (default 5m; make test runs 30000 executions each)
fuzz:
	@for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t##*:}; \
	  echo "fuzz $$pkg $$name ($(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; done

## soak: 10 million requests through the .wasm in the host against an exact reference, a flood of
## 1 million distinct keys, faults under load (make test runs short versions)
soak: build
	KOJI_SOAK_REQUESTS=10000000 KOJI_FLOOD_KEYS=1000000 $(GO) test -count=1 -timeout 3h -v \
	  -run 'TestSoak|TestFlood|TestFaults' ./soak/ > build/soak.txt 2>&1; s=$$?; cat build/soak.txt; exit $$s

## e2e-envoy: the scenario suite against a real Envoy in docker compose (skips without Docker)
e2e-envoy: build
	@bash e2e/run-envoy.sh

## image: the OCI image Istio pulls (needs Docker)
image: build
	@if ! docker info >/dev/null 2>&1; then echo "SKIPPED: no Docker engine (docker info failed); run 'make image' where Docker runs"; exit 0; fi; \
	cp $(WASM) envoy/plugin.wasm && docker build -t koji-edge:dev -f envoy/Dockerfile envoy && rm -f envoy/plugin.wasm

clean:
	rm -rf build

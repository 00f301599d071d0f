package filter_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// Each invalid configuration of CONTRACT §2 is refused by proxy_on_configure (so Envoy
// rejects it) with one error line per problem, naming the field.
func TestInvalidConfigurationsAreRefusedInTheVM(t *testing.T) {
	wasm := wasmbuild.Read(t, wasmbuild.Filter(t))
	for _, c := range []struct{ config, want string }{
		{``, "configuration: is empty"},
		{`{}`, "has neither"},
		{`{"rate_limit":{"plans":{}}`, "not valid JSON"},
		{`{"rate_limit":{"plans":{"free":{"requests":0,"window":"60s"}}}}`, "rate_limit.plans.free.requests"},
		{`{"rate_limit":{"plans":{"free":{"requests":10,"window":"60"}}}}`, "rate_limit.plans.free.window"},
		{`{"rate_limit":{"plans":{"free":{"requests":10,"window":"48h"}}}}`, "rate_limit.plans.free.window"},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"},"b":{"requests":1,"window":"1s"}}}}`, "rate_limit.default_plan"},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"keys":{"k":"gold"}}}`, `plan "gold" is not defined`},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"keys":{"sha256:abc":"a"}}}`, "64 hex"},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"missing_key":"maybe"}}`, "rate_limit.missing_key"},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"failure_mode":"sometimes"}}`, "rate_limit.failure_mode"},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"max_tracked_keys":1}}`, "rate_limit.max_tracked_keys"},
		{`{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"surprise":1}}`, "rate_limit.surprise: unknown field"},
		{`{"cors":{"allowed_origins":["https://a.com/path"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["https://a.com?q"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["https://a.com#f"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["https://u@a.com"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["https://*.a.com"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["*"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["null"]}}`, "cors.allowed_origins[0]"},
		{`{"cors":{"allowed_origins":["https://a.com"],"max_age":"2d"}}`, "cors.max_age"},
	} {
		var lines []string
		_, err := host.New(wasm, host.Options{Workers: 1, Configuration: []byte(c.config), LogSink: func(e host.LogEntry) {
			if e.Level >= host.LevelError {
				lines = append(lines, e.Message)
			}
		}})
		var ce *host.ConfigError
		if !errors.As(err, &ce) {
			t.Errorf("%s: accepted (%v)", c.config, err)
			continue
		}
		if len(lines) == 0 || !strings.Contains(strings.Join(lines, "\n"), c.want) {
			t.Errorf("%s: log %q lacks %q", c.config, lines, c.want)
		}
		for _, l := range lines {
			if !strings.HasPrefix(l, "koji-edge: configuration error: ") {
				t.Errorf("%s: line %q is not one problem per line", c.config, l)
			}
		}
	}
}

func TestLoadedConfigurationLogsOneSummaryAndDefinesEveryMetric(t *testing.T) {
	var infos []string
	e := start(t, demo, func(o *host.Options) {
		o.Workers = 1
		o.LogSink = func(l host.LogEntry) {
			if l.Level == host.LevelInfo && l.VM == "worker-0" {
				infos = append(infos, l.Message)
			}
		}
	})
	if len(infos) != 1 || !strings.Contains(infos[0], "koji-edge: configuration loaded: rate limits: plans free (3/1m)") {
		t.Fatalf("%q", infos)
	}
	for _, name := range []string{"koji_edge_requests_allowed", "koji_edge_requests_rate_limited", "koji_edge_requests_key_rejected",
		"koji_edge_preflights_answered", "koji_edge_preflights_refused", "koji_edge_origins_refused",
		"koji_edge_cas_conflicts", "koji_edge_store_failures", "koji_edge_failed_open"} {
		if e.metric(name) != 0 {
			t.Errorf("%s should read 0 before any traffic", name)
		}
	}
}

// The filter counts inside its VM and reports on its one-second tick, and when it is shut down:
// an operator's /stats lags by at most a second and loses nothing at a configuration update.
func TestMetricsReachTheHostEachSecondAndAtShutdown(t *testing.T) {
	e := start(t, demo)
	allowed := func() uint64 { v, _ := e.h.Metrics.Value("koji_edge_requests_allowed"); return v }
	for i := 0; i < 3; i++ {
		e.get("x-api-key", "k1")
	}
	e.clock.Advance(time.Second) // the tick is due on the host's clock; the host's timer runs it
	for deadline := time.Now().Add(2 * time.Second); allowed() < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if v := allowed(); v != 3 {
		t.Fatalf("requests_allowed %d a second after 3 admitted requests", v)
	}
	e.get("x-api-key", "k2")
	if err := e.h.Reconfigure([]byte(demo)); err != nil {
		t.Fatal(err)
	}
	if v := allowed(); v != 4 {
		t.Fatalf("requests_allowed %d after a configuration update, want 4: the old VMs' counts were lost", v)
	}
}

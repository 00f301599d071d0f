// Package e2e is koji-edge's scenario suite: plain HTTP against a base URL, checking the
// contract's main paths. The same suite runs against the repo's Envoy-faithful host (make test)
// and against a real Envoy in docker compose (make e2e-envoy). The target must run the plugin
// with e2e/config.json in front of an upstream that answers 200 and, under /cors-upstream,
// sends its own "Access-Control-Allow-Origin: *" and "Vary: Accept".
package e2e

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Target is where the suite sends requests; AdminURL, when set, serves Envoy-style /stats.
type Target struct {
	BaseURL, AdminURL string
}

const (
	app             = "https://app.example"
	rateLimitedBody = `{"error":"rate_limited","message":"Rate limit exceeded. Please retry after the indicated time."}`
	missingKeyBody  = `{"error":"missing_api_key","message":"An API key is required. Send it in the X-API-Key header."}`
)

type response struct {
	status int
	header http.Header
	body   string
}

type client struct {
	base string
	c    *http.Client
}

func (c *client) do(t *testing.T, method, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Add(headers[i], headers[i+1])
	}
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

// freshKey makes every run's keys new, so runs against a long-lived target do not meet.
func freshKey(prefix string) string {
	var b [8]byte
	rand.Read(b[:])
	return "e2e-" + prefix + "-" + hex.EncodeToString(b[:])
}

func one(t *testing.T, r response, name, want string) {
	t.Helper()
	if v := r.header.Values(name); len(v) != 1 || v[0] != want {
		t.Errorf("%s: %q, want exactly one %q (status %d)", name, v, want, r.status)
	}
}

func none(t *testing.T, r response, names ...string) {
	t.Helper()
	for _, n := range names {
		if v := r.header.Values(n); len(v) != 0 {
			t.Errorf("%s: %q, want none (status %d)", n, v, r.status)
		}
	}
}

func noCORS(t *testing.T, r response) {
	t.Helper()
	for name, v := range r.header {
		if strings.HasPrefix(strings.ToLower(name), "access-control-") {
			t.Errorf("%s: %q, want no Access-Control-* header (status %d)", name, v, r.status)
		}
	}
}

func hasVaryOrigin(t *testing.T, r response) {
	t.Helper()
	for _, v := range r.header.Values("Vary") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "Origin") {
				return
			}
		}
	}
	t.Errorf("Vary %q lacks Origin (status %d)", r.header.Values("Vary"), r.status)
}

// Run checks the contract's main paths against a target.
func Run(t *testing.T, tg Target) {
	c := &client{base: strings.TrimSuffix(tg.BaseURL, "/"), c: &http.Client{Timeout: 10 * time.Second}}
	before := readMetrics(t, tg.AdminURL)

	t.Run("counted responses carry the rate-limit headers", func(t *testing.T) {
		key := freshKey("headers")
		now := time.Now().Unix()
		for i := 0; i < 3; i++ {
			r := c.do(t, "GET", "/v1/things", "x-api-key", key)
			if r.status != 200 {
				t.Fatalf("request %d: status %d %s", i, r.status, r.body)
			}
			one(t, r, "X-RateLimit-Limit", "3")
			one(t, r, "X-RateLimit-Remaining", strconv.Itoa(2-i))
			reset, _ := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
			if reset < now+59 || reset > now+68 {
				t.Errorf("X-RateLimit-Reset %d: not within the 60 s window from %d", reset, now)
			}
			hasVaryOrigin(t, r)
		}
		r := c.do(t, "GET", "/v1/things", "x-api-key", key)
		if r.status != 429 || r.body != rateLimitedBody {
			t.Fatalf("fourth request: %d %s", r.status, r.body)
		}
		one(t, r, "Content-Type", "application/json")
		one(t, r, "X-RateLimit-Limit", "3")
		one(t, r, "X-RateLimit-Remaining", "0")
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 66 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
	})

	t.Run("waiting Retry-After gets the next request admitted", func(t *testing.T) {
		key := freshKey("retry")
		for i := 0; i < 2; i++ {
			if r := c.do(t, "GET", "/", "x-api-key", key, "x-e2e-plan", "short"); r.status != 200 {
				t.Fatalf("status %d", r.status)
			}
		}
		r := c.do(t, "GET", "/", "x-api-key", key, "x-e2e-plan", "short")
		if r.status != 429 {
			t.Fatalf("third request on a 2/2s plan: %d", r.status)
		}
		ra, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || ra < 1 || ra > 3 {
			t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
		}
		time.Sleep(time.Duration(ra) * time.Second)
		if r := c.do(t, "GET", "/", "x-api-key", key, "x-e2e-plan", "short"); r.status != 200 {
			t.Fatalf("after waiting Retry-After (%d s): status %d", ra, r.status)
		}
	})

	t.Run("missing and invalid keys get 401 without rate-limit headers", func(t *testing.T) {
		r := c.do(t, "GET", "/")
		if r.status != 401 || r.body != missingKeyBody {
			t.Fatalf("%d %s", r.status, r.body)
		}
		one(t, r, "Content-Type", "application/json")
		none(t, r, "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
		r = c.do(t, "GET", "/", "x-api-key", strings.Repeat("k", 257))
		if r.status != 401 || !strings.Contains(r.body, `"error":"invalid_api_key"`) {
			t.Fatalf("%d %s", r.status, r.body)
		}
		none(t, r, "X-RateLimit-Limit")
		r = c.do(t, "GET", "/", "authorization", "bearer "+freshKey("bearer"))
		if r.status != 200 || r.header.Get("X-RateLimit-Remaining") != "2" {
			t.Fatalf("Bearer key: %d %v", r.status, r.header)
		}
	})

	t.Run("preflights are answered and never counted", func(t *testing.T) {
		for i := 0; i < 5; i++ {
			r := c.do(t, "OPTIONS", "/v1/things", "Origin", app, "Access-Control-Request-Method", "POST",
				"Access-Control-Request-Headers", "X-API-Key, content-type")
			if r.status != 204 || r.body != "" {
				t.Fatalf("%d %q", r.status, r.body)
			}
			one(t, r, "Access-Control-Allow-Origin", app)
			one(t, r, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE")
			one(t, r, "Access-Control-Allow-Headers", "x-api-key, content-type, authorization")
			one(t, r, "Access-Control-Max-Age", "600")
			none(t, r, "X-RateLimit-Limit")
		}
		r := c.do(t, "OPTIONS", "/", "Origin", "https://evil.example", "Access-Control-Request-Method", "GET")
		if r.status != 403 {
			t.Fatalf("disallowed preflight: %d", r.status)
		}
		noCORS(t, r)
		hasVaryOrigin(t, r)
		r = c.do(t, "OPTIONS", "/", "Origin", app, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-secret")
		if r.status != 403 {
			t.Fatalf("preflight with a refused header: %d", r.status)
		}
		noCORS(t, r)
	})

	t.Run("an allowed origin gets CORS headers on a 429", func(t *testing.T) {
		key := freshKey("cors429")
		var r response
		for i := 0; i < 4; i++ {
			r = c.do(t, "GET", "/", "x-api-key", key, "Origin", app)
			one(t, r, "Access-Control-Allow-Origin", app)
		}
		if r.status != 429 {
			t.Fatalf("status %d", r.status)
		}
		one(t, r, "Access-Control-Expose-Headers", "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, x-request-id")
		hasVaryOrigin(t, r)
		r = c.do(t, "GET", "/", "Origin", app)
		if r.status != 401 {
			t.Fatalf("status %d", r.status)
		}
		one(t, r, "Access-Control-Allow-Origin", app)
	})

	t.Run("upstream CORS headers are replaced; a disallowed origin gets none", func(t *testing.T) {
		key := freshKey("upcors")
		r := c.do(t, "GET", "/cors-upstream", "x-api-key", key, "Origin", app)
		if r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		one(t, r, "Access-Control-Allow-Origin", app)
		hasVaryOrigin(t, r)
		r = c.do(t, "GET", "/cors-upstream", "x-api-key", key, "Origin", "https://evil.example")
		if r.status != 200 {
			t.Fatalf("status %d", r.status)
		}
		noCORS(t, r)
		one(t, r, "X-RateLimit-Remaining", "1") // served and counted all the same
	})

	if tg.AdminURL != "" {
		t.Run("metrics count what happened", func(t *testing.T) {
			want := map[string]uint64{
				"koji_edge_requests_allowed": 10, "koji_edge_requests_rate_limited": 3, "koji_edge_requests_key_rejected": 3,
				"koji_edge_preflights_answered": 5, "koji_edge_preflights_refused": 2, "koji_edge_origins_refused": 1,
			}
			after := metricsAfterGrowth(t, tg.AdminURL, before, want)
			for name, atLeast := range want {
				if got := after[name] - before[name]; got < atLeast {
					t.Errorf("%s grew by %d, want at least %d", name, got, atLeast)
				}
			}
			for _, name := range []string{"koji_edge_cas_conflicts", "koji_edge_store_failures", "koji_edge_failed_open"} {
				if _, ok := after[name]; !ok {
					t.Errorf("%s is not defined", name)
				}
			}
		})
	}
}

// metricsAfterGrowth reads the counters until each has grown by at least want over before, or
// until a few of the filter's reporting ticks (one second each: README) have passed.
func metricsAfterGrowth(t *testing.T, admin string, before, want map[string]uint64) map[string]uint64 {
	deadline := time.Now().Add(5 * time.Second)
	for {
		after := readMetrics(t, admin)
		grown := true
		for name, atLeast := range want {
			grown = grown && after[name]-before[name] >= atLeast
		}
		if grown || time.Now().After(deadline) {
			return after
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readMetrics reads koji-edge's counters from an Envoy-style admin /stats.
func readMetrics(t *testing.T, admin string) map[string]uint64 {
	out := map[string]uint64{}
	if admin == "" {
		return out
	}
	resp, err := http.Get(strings.TrimSuffix(admin, "/") + "/stats?filter=koji_edge")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ": ")
		if !ok || !strings.HasPrefix(name, "wasmcustom.") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSpace(value), 10, 64)
		if err == nil {
			out[strings.TrimPrefix(name, "wasmcustom.")] = n
		}
	}
	return out
}

package filter_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/kojihq/koji-edge/host"
)

const app = "https://app.example"

func preflight(e *env, origin, method, headers string) *host.Response {
	h := []string{"origin", origin, "access-control-request-method", method}
	if headers != "" {
		h = append(h, "access-control-request-headers", headers)
	}
	return e.do("OPTIONS", h...)
}

func TestAllowedPreflightIsAnsweredNotForwardedNotCounted(t *testing.T) {
	e := start(t, demo)
	r := preflight(e, app, "PATCH", " X-API-Key ,, content-type")
	if r.Status != 204 || len(r.Body) != 0 {
		t.Fatalf("status %d body %q", r.Status, r.Body)
	}
	once(t, r, "access-control-allow-origin", app)
	once(t, r, "access-control-allow-methods", "GET, POST, PATCH")
	once(t, r, "access-control-allow-headers", "x-api-key, content-type, authorization")
	once(t, r, "access-control-max-age", "600")
	once(t, r, "vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	absent(t, r, "access-control-allow-credentials", "x-ratelimit-limit", "content-type", "content-length")
	if e.up.count() != 0 {
		t.Fatal("a preflight reached the upstream")
	}
	// Preflights never count: the free plan (3) is still whole afterwards.
	for i := 0; i < 10; i++ {
		preflight(e, app, "GET", "")
	}
	if r := e.get("x-api-key", "k"); r.Get("x-ratelimit-remaining") != "2" {
		t.Fatalf("preflights were counted: %v", r.Headers)
	}
	if e.metric("koji_edge_preflights_answered") != 11 {
		t.Fatalf("preflights_answered %d", e.metric("koji_edge_preflights_answered"))
	}
}

func TestRefusedPreflightsHaveNoCORSHeaders(t *testing.T) {
	e := start(t, demo)
	for _, c := range []struct{ origin, method, headers string }{
		{"https://evil.example", "GET", ""},
		{app, "DELETE", ""},                // method not listed
		{app, "get", ""},                   // methods are case-sensitive
		{app, "GET", "x-api-key, x-debug"}, // one header not listed
		{app + "/", "GET", ""},             // byte-exact origin
		{"https://APP.example", "GET", ""},
		{"null", "GET", ""},
	} {
		r := preflight(e, c.origin, c.method, c.headers)
		if r.Status != 403 {
			t.Errorf("%+v: status %d", c, r.Status)
		}
		noCORS(t, r)
		once(t, r, "vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
	}
	if e.up.count() != 0 || e.metric("koji_edge_preflights_refused") != 7 {
		t.Fatalf("upstream %d, refused %d", e.up.count(), e.metric("koji_edge_preflights_refused"))
	}
}

func TestRepeatedRequestHeadersLinesAreJoined(t *testing.T) {
	e := start(t, demo)
	r := e.do("OPTIONS", "origin", app, "access-control-request-method", "POST",
		"access-control-request-headers", "x-api-key", "access-control-request-headers", "Content-Type")
	if r.Status != 204 {
		t.Fatalf("status %d", r.Status)
	}
	r = e.do("OPTIONS", "origin", app, "access-control-request-method", "POST",
		"access-control-request-headers", "x-api-key", "access-control-request-headers", "x-secret")
	if r.Status != 403 {
		t.Fatalf("a refused name on a second line must refuse: %d", r.Status)
	}
	// However many lines: each is checked, the last one too.
	lines := []string{"origin", app, "access-control-request-method", "POST"}
	for i := 0; i < 12; i++ {
		lines = append(lines, "access-control-request-headers", "content-type")
	}
	if r := e.do("OPTIONS", lines...); r.Status != 204 {
		t.Fatalf("12 allowed lines: status %d", r.Status)
	}
	if r := e.do("OPTIONS", append(lines, "access-control-request-headers", "x-secret")...); r.Status != 403 {
		t.Fatalf("a refused name on the 13th line must refuse: %d", r.Status)
	}
}

// OPTIONS without Access-Control-Request-Method is not a preflight: it is an ordinary request.
func TestOptionsWithoutRequestMethodIsAnActualRequest(t *testing.T) {
	e := start(t, demo)
	r := e.do("OPTIONS", "origin", app, "x-api-key", "k")
	if r.Status != 200 || e.up.count() != 1 {
		t.Fatalf("status %d, upstream %d", r.Status, e.up.count())
	}
	once(t, r, "x-ratelimit-remaining", "2")
	once(t, r, "access-control-allow-origin", app)
}

func allowedActual(t *testing.T, r *host.Response) {
	t.Helper()
	once(t, r, "access-control-allow-origin", app)
	once(t, r, "access-control-expose-headers", "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, x-request-id")
	absent(t, r, "access-control-allow-credentials")
	if v := r.Values("vary"); len(v) != 1 || !strings.Contains(strings.ToLower(v[0]), "origin") {
		t.Errorf("vary %q", v)
	}
}

// Every response to an allowed origin carries the filter's CORS headers: upstream 2xx-5xx,
// and the filter's own 429, 401 and 503, exactly once each.
func TestAllowedOriginOnEveryResponse(t *testing.T) {
	e := start(t, demo)
	for _, status := range []int{200, 201, 404, 500, 503} {
		e.up.status = status
		r := e.get("origin", app, "x-api-key", "pro-key")
		if r.Status != status {
			t.Fatalf("status %d, want %d", r.Status, status)
		}
		allowedActual(t, r)
	}
	e.up.status = 0
	for i := 0; i < 3; i++ {
		e.get("origin", app, "x-api-key", "spent")
	}
	r := e.get("origin", app, "x-api-key", "spent")
	if r.Status != 429 {
		t.Fatalf("status %d", r.Status)
	}
	allowedActual(t, r)
	once(t, r, "vary", "Origin")
	once(t, r, "retry-after", r.Get("retry-after"))

	r = e.get("origin", app)
	if r.Status != 401 {
		t.Fatalf("status %d", r.Status)
	}
	allowedActual(t, r)
	absent(t, r, "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
	r = e.get("origin", app, "x-api-key", "bad key")
	if r.Status != 401 || !strings.Contains(string(r.Body), `"error":"invalid_api_key"`) {
		t.Fatalf("status %d %s", r.Status, r.Body)
	}
	allowedActual(t, r)
}

func TestCredentialsWhenConfigured(t *testing.T) {
	cfg := strings.Replace(demo, `"max_age": "600s"`, `"max_age": "600s", "allow_credentials": true`, 1)
	e := start(t, cfg)
	r := preflight(e, app, "GET", "")
	once(t, r, "access-control-allow-credentials", "true")
	r = e.get("origin", app, "x-api-key", "k")
	once(t, r, "access-control-allow-credentials", "true")
	e.up.headers = []host.Header{{"access-control-allow-credentials", "true"}}
	r = e.get("origin", app, "x-api-key", "k")
	once(t, r, "access-control-allow-credentials", "true")
}

// The upstream's own CORS headers are replaced: never two Allow-Origin, never "*".
func TestUpstreamCORSHeadersAreReplaced(t *testing.T) {
	e := start(t, demo)
	e.up.headers = []host.Header{{"Access-Control-Allow-Origin", "*"}, {"access-control-allow-origin", "https://other.example"},
		{"access-control-expose-headers", "x-internal"}, {"access-control-allow-methods", "PUT"}, {"vary", "accept-encoding"}, {"Vary", "ORIGIN"}}
	r := e.get("origin", app, "x-api-key", "k")
	allowedActual(t, r)
	absent(t, r, "access-control-allow-methods")
	once(t, r, "vary", "accept-encoding, ORIGIN")
}

// A disallowed origin is served and counted, with every Access-Control-* removed.
func TestDisallowedOriginIsServedWithoutCORSHeaders(t *testing.T) {
	e := start(t, demo)
	e.up.headers = []host.Header{{"access-control-allow-origin", "*"}, {"access-control-allow-credentials", "true"}, {"vary", "Accept"}}
	r := e.get("origin", "https://evil.example", "x-api-key", "k")
	if r.Status != 200 || e.up.count() != 1 {
		t.Fatalf("status %d", r.Status)
	}
	noCORS(t, r)
	once(t, r, "x-ratelimit-remaining", "2")
	once(t, r, "vary", "Accept, Origin")
	for i := 0; i < 3; i++ {
		r = e.get("origin", "https://evil.example", "x-api-key", "k")
	}
	if r.Status != 429 {
		t.Fatalf("status %d", r.Status)
	}
	noCORS(t, r)
	if e.metric("koji_edge_origins_refused") != 4 {
		t.Fatalf("origins_refused %d", e.metric("koji_edge_origins_refused"))
	}
}

// No Origin (or an empty one): nothing added but Vary.
func TestNoOriginAddsOnlyVary(t *testing.T) {
	e := start(t, demo)
	for _, h := range [][]string{{"x-api-key", "k"}, {"x-api-key", "k", "origin", ""}} {
		r := e.get(h...)
		noCORS(t, r)
		once(t, r, "vary", "Origin")
	}
	e.up.headers = []host.Header{{"vary", "*"}}
	r := e.get("x-api-key", "k")
	once(t, r, "vary", "*")
}

// Odd input gets a sane answer and never traps (the env checks traps at cleanup).
func TestOddOriginsAndHeaders(t *testing.T) {
	e := start(t, demo)
	for _, c := range []struct {
		name    string
		headers []string
	}{
		{"null origin", []string{"origin", "null"}},
		{"two origins", []string{"origin", app, "origin", "http://localhost:3000"}},
		{"comma list", []string{"origin", app + ", http://localhost:3000"}},
		{"non-UTF-8", []string{"origin", "https://app.\xff\xfe"}},
		{"origin with path", []string{"origin", app + "/x"}},
	} {
		r := e.get(append(c.headers, "x-api-key", "odd")...)
		if r.Status != 200 && r.Status != 429 {
			t.Errorf("%s: status %d", c.name, r.Status)
		}
		noCORS(t, r)
		p := e.do("OPTIONS", append(c.headers, "access-control-request-method", "GET")...)
		if p.Status != 403 {
			t.Errorf("%s: preflight status %d", c.name, p.Status)
		}
		noCORS(t, p)
	}
	big := strings.Repeat("x-api-key, ", 64<<10/11)
	if r := preflight(e, app, "GET", big); r.Status != 204 {
		t.Errorf("64 KiB of allowed names: %d", r.Status)
	}
	if r := preflight(e, app, "GET", big+"x-other"); r.Status != 403 {
		t.Errorf("64 KiB ending in a refused name: %d", r.Status)
	}
	if r := preflight(e, app, "GET", "\xff\x00,\x80"); r.Status != 403 {
		t.Errorf("binary request headers: %d", r.Status)
	}
}

// A response map too large for Envoy to take back in one piece (over 1024 headers), or with
// many Vary lines, is edited header by header, with the same result.
func TestHugeResponseMapsAreEditedInPlace(t *testing.T) {
	e := start(t, demo)
	var hs []host.Header
	for i := 0; i < 1100; i++ {
		hs = append(hs, host.Header{"x-big-" + strconv.Itoa(i), "v"})
	}
	hs = append(hs, host.Header{"access-control-allow-origin", "*"}, host.Header{"x-ratelimit-limit", "999"})
	e.up.headers = hs
	r := e.get("origin", app, "x-api-key", "k")
	allowedActual(t, r)
	once(t, r, "x-ratelimit-limit", "3")
	once(t, r, "x-big-1099", "v")
	once(t, r, "vary", "Origin")

	hs = nil
	for i := 0; i < 10; i++ {
		hs = append(hs, host.Header{"vary", "x-v" + strconv.Itoa(i)})
	}
	e.up.headers = hs
	r = e.get("origin", "https://evil.example", "x-api-key", "k2")
	noCORS(t, r)
	once(t, r, "vary", "x-v0, x-v1, x-v2, x-v3, x-v4, x-v5, x-v6, x-v7, x-v8, x-v9, Origin")
	once(t, r, "x-ratelimit-remaining", "2")
}

// With only a cors section the filter answers preflights and owns CORS headers, and counts
// nothing: no key needed, no rate-limit headers.
func TestCORSOnlyConfiguration(t *testing.T) {
	e := start(t, `{"cors":{"allowed_origins":["https://app.example"],"allowed_headers":["content-type"]}}`)
	r := preflight(e, app, "POST", "content-type")
	if r.Status != 204 {
		t.Fatalf("preflight %d", r.Status)
	}
	once(t, r, "access-control-allow-headers", "content-type")
	r = e.get("origin", app)
	if r.Status != 200 || e.up.count() != 1 {
		t.Fatalf("status %d", r.Status)
	}
	once(t, r, "access-control-allow-origin", app)
	once(t, r, "vary", "Origin")
	absent(t, r, "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
	// A long header name (no key header to compare it with) changes nothing.
	r = e.get("origin", app, "x-"+strings.Repeat("long", 20), "v")
	if r.Status != 200 {
		t.Fatalf("long header name: status %d", r.Status)
	}
	once(t, r, "access-control-allow-origin", app)
}

// With only a rate_limit section nothing about CORS is touched: upstream CORS headers pass,
// no Vary is added, and an OPTIONS request is an ordinary counted request.
func TestRateLimitOnlyConfiguration(t *testing.T) {
	e := start(t, `{"rate_limit":{"plans":{"p":{"requests":5,"window":"60s"}}}}`)
	e.up.headers = []host.Header{{"access-control-allow-origin", "*"}}
	r := e.get("origin", app, "x-api-key", "k")
	once(t, r, "access-control-allow-origin", "*")
	absent(t, r, "vary")
	r = preflight(e, app, "GET", "")
	if r.Status != 401 {
		t.Fatalf("OPTIONS without a key and no cors section: %d", r.Status)
	}
}

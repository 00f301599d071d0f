package filter_test

import (
	"strconv"
	"sync"
	"testing"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

var (
	fuzzOnce sync.Once
	fuzzHost *host.Host
	fuzzErr  error
)

// FuzzRequest sends whole requests through the .wasm in the host: any method, Origin, key,
// preflight headers, extra header and upstream answer. Nothing traps, and every answer keeps
// the contract's shape.
func FuzzRequest(f *testing.F) {
	f.Add("GET", "https://app.example", "k1", "", "", "x-extra", "v", 200, "")
	f.Add("OPTIONS", "https://app.example", "", "PATCH", "x-api-key, content-type", "", "", 200, "")
	f.Add("OPTIONS", "null", "", "GET", "\xff\x00", "", "", 200, "")
	f.Add("POST", "https://evil.example", "pro-key", "", "", "access-control-allow-origin", "*", 500, "*")
	f.Add("GET", "", "bad key", "", "", "authorization", "Bearer  tok ", 404, "")
	f.Add("GET", "https://app.example, http://localhost:3000", "\x7f", "", "", "x-plan", "burst", 201, "https://other")
	f.Fuzz(func(t *testing.T, method, origin, key, acrm, acrh, name, value string, upStatus int, upACAO string) {
		fuzzOnce.Do(func() {
			fuzzHost, fuzzErr = host.New(wasmbuild.Read(t, wasmbuild.Filter(t)), host.Options{Workers: 1, VMID: "fuzz", Configuration: []byte(demo)})
		})
		if fuzzErr != nil {
			t.Fatal(fuzzErr)
		}
		if method == "" || len(method) > 32 {
			method = "GET"
		}
		if upStatus < 200 || upStatus > 599 {
			upStatus = 200
		}
		req := &host.Request{Method: method, Path: "/", Authority: "api.example"}
		add := func(n, v string) {
			if v != "" || n == name {
				req.Headers = append(req.Headers, host.Header{n, v})
			}
		}
		add("origin", origin)
		add("x-api-key", key)
		add("access-control-request-method", acrm)
		add("access-control-request-headers", acrh)
		if name != "" && len(name) < 256 {
			add(name, value)
		}
		reached := false
		resp, err := fuzzHost.Do(req, func(*host.Request, *host.HeaderMap) (*host.Response, error) {
			reached = true
			r := &host.Response{Status: upStatus}
			if upACAO != "" {
				r.Headers = append(r.Headers, host.Header{"access-control-allow-origin", upACAO})
			}
			return r, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if fuzzHost.Traps() != 0 {
			t.Fatalf("the VM trapped: %v", fuzzHost.Logs())
		}
		acao := resp.Values("access-control-allow-origin")
		if len(acao) > 1 || (len(acao) == 1 && (acao[0] != origin || acao[0] == "*")) {
			t.Fatalf("Access-Control-Allow-Origin %q for Origin %q", acao, origin)
		}
		isPreflight := method == "OPTIONS" && origin != "" && acrm != ""
		switch {
		case isPreflight:
			if reached || (resp.Status != 204 && resp.Status != 403) || resp.Get("x-ratelimit-limit") != "" {
				t.Fatalf("preflight: reached %v, %d %v", reached, resp.Status, resp.Headers)
			}
		case reached:
			if resp.Status != upStatus || resp.Get("x-ratelimit-limit") == "" {
				t.Fatalf("upstream answered %d: got %d %v", upStatus, resp.Status, resp.Headers)
			}
		case resp.Status == 429:
			if string(resp.Body) != rateLimitedBody || resp.Get("x-ratelimit-remaining") != "0" {
				t.Fatalf("429: %s %v", resp.Body, resp.Headers)
			}
			if ra, err := strconv.Atoi(resp.Get("retry-after")); err != nil || ra < 1 {
				t.Fatalf("Retry-After %q", resp.Get("retry-after"))
			}
		case resp.Status == 401:
			if reached || resp.Get("x-ratelimit-limit") != "" || resp.Get("content-type") != "application/json" {
				t.Fatalf("401: %v", resp.Headers)
			}
		default:
			t.Fatalf("the filter answered %d %s", resp.Status, resp.Body)
		}
	})
}

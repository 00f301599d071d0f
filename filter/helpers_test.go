package filter_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// t0 is a fixed wall clock for the host: 2026-01-01T00:00:00Z.
var t0 = time.Unix(1_767_225_600, 0)

type env struct {
	t     *testing.T
	h     *host.Host
	clock *host.ManualClock
	up    *upstream
}

// upstream records what reached it and answers with fixed headers.
type upstream struct {
	mu      sync.Mutex
	calls   int
	status  int
	headers []host.Header
}

func (u *upstream) serve(req *host.Request, _ *host.HeaderMap) (*host.Response, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls++
	status := u.status
	if status == 0 {
		status = 200
	}
	return &host.Response{Status: status, Headers: append([]host.Header{{"content-type", "application/json"}}, u.headers...), Body: []byte(`{"ok":true}`)}, nil
}

func (u *upstream) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls
}

func start(t *testing.T, config string, opts ...func(*host.Options)) *env {
	t.Helper()
	e := &env{t: t, clock: host.NewManualClock(t0), up: &upstream{}}
	o := host.Options{Workers: 2, VMID: "koji-test", Configuration: []byte(config), Clock: e.clock}
	for _, f := range opts {
		f(&o)
	}
	h, err := host.New(wasmbuild.Read(t, wasmbuild.Filter(t)), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if n := h.Traps(); n != 0 {
			t.Errorf("%d traps in the VM", n)
		}
		h.Close()
	})
	e.h = h
	return e
}

func workers(n int) func(*host.Options) { return func(o *host.Options) { o.Workers = n } }

// do sends one request; headers alternate name, value.
func (e *env) do(method string, headers ...string) *host.Response {
	e.t.Helper()
	req := &host.Request{Method: method, Path: "/v1/things", Authority: "api.example"}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Headers = append(req.Headers, host.Header{headers[i], headers[i+1]})
	}
	resp, err := e.h.Do(req, e.up.serve)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp
}

func (e *env) get(headers ...string) *host.Response { return e.do("GET", headers...) }

// metric reads a counter after a tick: the filter reports its counts on its timer.
func (e *env) metric(name string) uint64 {
	e.h.Tick()
	v, ok := e.h.Metrics.Value(name)
	if !ok {
		e.t.Fatalf("metric %s is not defined", name)
	}
	return v
}

// once asserts a header appears exactly once with this value.
func once(t *testing.T, r *host.Response, name, want string) {
	t.Helper()
	v := r.Values(name)
	if len(v) != 1 || v[0] != want {
		t.Errorf("%s: %q, want exactly one %q (status %d)", name, v, want, r.Status)
	}
}

func absent(t *testing.T, r *host.Response, names ...string) {
	t.Helper()
	for _, n := range names {
		if v := r.Values(n); len(v) != 0 {
			t.Errorf("%s: %q, want none (status %d)", n, v, r.Status)
		}
	}
}

func noCORS(t *testing.T, r *host.Response) {
	t.Helper()
	for _, kv := range r.Headers {
		if strings.HasPrefix(kv[0], "access-control-") {
			t.Errorf("unexpected %s: %s (status %d)", kv[0], kv[1], r.Status)
		}
	}
}

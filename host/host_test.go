package host

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

func probe(t *testing.T, opt Options) *Host {
	t.Helper()
	wasm := wasmbuild.Read(t, wasmbuild.Module(t, "./host/testdata/probe"))
	h, err := New(wasm, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

func logsSince(h *Host, mark int) []string {
	var out []string
	for _, l := range h.Logs()[mark:] {
		out = append(out, l.Message)
	}
	return out
}

func TestStartSequenceCanaryThenWorkers(t *testing.T) {
	h := probe(t, Options{Workers: 3, Configuration: []byte("hello")})
	var vms []string
	for _, l := range h.Logs() {
		if strings.HasPrefix(l.Message, "configure") {
			if l.Message != "configure status=0 config=hello" {
				t.Fatalf("configure saw %q", l.Message)
			}
			vms = append(vms, l.VM)
		}
	}
	if strings.Join(vms, ",") != "canary,worker-0,worker-1,worker-2" {
		t.Fatalf("configured VMs: %v", vms)
	}
}

func TestRefusedConfigurationFailsTheCanary(t *testing.T) {
	wasm := wasmbuild.Read(t, wasmbuild.Module(t, "./host/testdata/probe"))
	_, err := New(wasm, Options{Configuration: []byte("refuse")})
	var ce *ConfigError
	if !errors.As(err, &ce) {
		t.Fatalf("got %v, want a ConfigError", err)
	}
}

func TestHostCallDuringInitializeTraps(t *testing.T) {
	wasm := wasmbuild.Read(t, wasmbuild.Module(t, "./host/testdata/badinit"))
	_, err := New(wasm, Options{})
	if err == nil || !strings.Contains(err.Error(), "restricted_callback") {
		t.Fatalf("got %v, want a restricted_callback trap", err)
	}
}

func TestLocalReplyRunsThroughResponseCallbacks(t *testing.T) {
	h := probe(t, Options{Workers: 1})
	mark := len(h.Logs())
	resp, err := h.Do(&Request{Method: "GET", Path: "/", Headers: []Header{{"x-action", "local"}}}, func(*Request, *HeaderMap) (*Response, error) {
		t.Fatal("a local reply must not reach the upstream")
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 418 || string(resp.Body) != "teapot" || resp.Get("x-from-plugin") != "1" ||
		resp.Get("x-seen-by-response") != "1" || resp.Get("content-type") != "text/plain" || resp.Get("content-length") != "6" {
		t.Fatalf("%+v", resp)
	}
	got := strings.Join(logsSince(h, mark), "|")
	want := "cb request_headers 2|cb response_headers 2|cb response_body eos 2|cb log 2|cb delete 2"
	if got != want {
		t.Fatalf("callback order\n got %s\nwant %s", got, want)
	}
	resp, _ = h.Do(&Request{Method: "GET", Path: "/", Headers: []Header{{"x-action", "local-empty"}}}, nil)
	if resp.Status != 204 || resp.Get("content-type") != "" || resp.Get("content-length") != "" {
		t.Fatalf("empty local reply: %+v", resp)
	}
}

func TestRequestMapGoneAfterHeadersAndConfigOnlyInConfigure(t *testing.T) {
	h := probe(t, Options{Workers: 1, Configuration: []byte("x")})
	mark := len(h.Logs())
	h.Do(&Request{Method: "POST", Path: "/", Headers: []Header{{"x-action", "config"}}, Body: []byte("body")}, nil)
	got := strings.Join(logsSince(h, mark), "|")
	if !strings.Contains(got, "config in request status=1") || !strings.Contains(got, "cb request_body status=2") {
		t.Fatalf("%s", got)
	}
}

func TestPollOneoffAnswersENOSYS(t *testing.T) {
	h := probe(t, Options{Workers: 1})
	resp, _ := h.Do(&Request{Method: "GET", Path: "/", Headers: []Header{{"x-action", "sleep"}}}, nil)
	if h.PollOneoffCalls.Load() == 0 || h.Traps() == 0 || resp.Status != 503 {
		t.Fatalf("poll_oneoff calls %d, traps %d, status %d: a sleeping Go guest must die as in Envoy",
			h.PollOneoffCalls.Load(), h.Traps(), resp.Status)
	}
	// FAIL_CLOSED: the worker answers 503 from now on.
	if resp, _ := h.Do(&Request{Method: "GET", Path: "/"}, nil); resp.Status != 503 || string(resp.Body) != "wasm_fail_stream" {
		t.Fatalf("after a trap: %+v", resp)
	}
}

func TestFailurePolicies(t *testing.T) {
	for _, c := range []struct {
		policy FailurePolicy
		want   int
	}{{FailOpen, 200}, {FailReload, 200}, {FailClosed, 503}} {
		h := probe(t, Options{Workers: 1, FailurePolicy: c.policy})
		h.Do(&Request{Method: "GET", Path: "/", Headers: []Header{{"x-action", "sleep"}}}, nil)
		resp, _ := h.Do(&Request{Method: "GET", Path: "/"}, nil)
		if resp.Status != c.want {
			t.Errorf("policy %d: status %d, want %d", c.policy, resp.Status, c.want)
		}
	}
}

func TestGuestPanicIsRecovered(t *testing.T) {
	h := probe(t, Options{Workers: 1})
	resp, _ := h.Do(&Request{Method: "GET", Path: "/", Headers: []Header{{"x-action", "panic"}}}, nil)
	if resp.Status != 200 || h.Traps() != 0 {
		t.Fatalf("status %d traps %d", resp.Status, h.Traps())
	}
	found := false
	for _, l := range h.Logs() {
		found = found || strings.Contains(l.Message, "recovered from a bug in proxy_on_request_headers")
	}
	if !found {
		t.Fatal("no log line for the recovered panic")
	}
}

func TestRepeatedOriginIsCoalesced(t *testing.T) {
	h := probe(t, Options{Workers: 1})
	mark := len(h.Logs())
	h.Do(&Request{Method: "GET", Path: "/", Headers: []Header{{"x-action", "origins"}, {"Origin", "https://a.example"}, {"origin", "https://b.example"}}}, nil)
	if got := strings.Join(logsSince(h, mark), "|"); !strings.Contains(got, "origin=https://a.example, https://b.example") {
		t.Fatal(got)
	}
}

func TestWorkersRunInParallel(t *testing.T) {
	h := probe(t, Options{Workers: 2})
	slow := func(*Request, *HeaderMap) (*Response, error) {
		time.Sleep(200 * time.Millisecond)
		return &Response{Status: 200}, nil
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func(i int) { defer wg.Done(); h.DoOn(i, &Request{Method: "GET", Path: "/"}, slow) }(i)
	}
	wg.Wait()
	if d := time.Since(start); d > 380*time.Millisecond {
		t.Fatalf("two workers took %v: the upstream wait must not hold the VM", d)
	}
}

func TestMissingImportFailsToLoad(t *testing.T) {
	// A module importing something Envoy lacks: the SDK's proxytest would load it, Envoy not.
	wasm := minimalModuleImporting("env", "proxy_not_in_envoy")
	_, err := New(wasm, Options{})
	if err == nil || !strings.Contains(err.Error(), "proxy_not_in_envoy") {
		t.Fatalf("got %v", err)
	}
}

// minimalModuleImporting is a hand-assembled module with one func import () -> () and an
// exported empty proxy_abi_version_0_2_1.
func minimalModuleImporting(module, name string) []byte {
	b := []byte{0, 'a', 's', 'm', 1, 0, 0, 0}
	b = append(b, 1, 4, 1, 0x60, 0, 0) // type section: one func type () -> ()
	imp := []byte{1, byte(len(module))}
	imp = append(imp, module...)
	imp = append(imp, byte(len(name)))
	imp = append(imp, name...)
	imp = append(imp, 0, 0) // func, type 0
	b = append(b, 2, byte(len(imp)))
	b = append(b, imp...)
	b = append(b, 3, 2, 1, 0) // function section: one function of type 0
	exp := []byte{1, 23}
	exp = append(exp, "proxy_abi_version_0_2_1"...)
	exp = append(exp, 0, 1) // func index 1 (after the import)
	b = append(b, 7, byte(len(exp)))
	b = append(b, exp...)
	return append(b, 10, 4, 1, 2, 0, 0x0b) // code section: one empty body
}

func TestHostCallInsideAllocatorTraps(t *testing.T) {
	wasm := wasmbuild.Read(t, wasmbuild.Module(t, "./host/testdata/badalloc"))
	_, err := New(wasm, Options{Configuration: []byte("{}")})
	if err == nil || !strings.Contains(err.Error(), "restricted_callback") {
		t.Fatalf("got %v, want a restricted_callback trap", err)
	}
}

// The root context's timer runs on the host's clock, one per worker VM; a plugin that is shut
// down (configuration update, Close) gets proxy_on_done on its root context.
func TestTimerFollowsTheClockAndShutdownCallsDone(t *testing.T) {
	clock := NewManualClock(time.Unix(1_700_000_000, 0))
	h := probe(t, Options{Workers: 2, Configuration: []byte("tick"), Clock: clock})
	count := func(msg string) int {
		n := 0
		for _, l := range h.Logs() {
			if l.Message == msg && strings.HasPrefix(l.VM, "worker-") {
				n++
			}
		}
		return n
	}
	clock.Advance(999 * time.Millisecond)
	time.Sleep(10 * timerResolution)
	if n := count("tick"); n != 0 {
		t.Fatalf("%d ticks before the period passed", n)
	}
	clock.Advance(time.Millisecond)
	for deadline := time.Now().Add(time.Second); count("tick") < 2 && time.Now().Before(deadline); {
		time.Sleep(timerResolution)
	}
	time.Sleep(10 * timerResolution)
	if n := count("tick"); n != 2 {
		t.Fatalf("%d ticks once the period passed, want one per worker", n)
	}
	h.Tick()
	if n := count("tick"); n != 4 {
		t.Fatalf("%d ticks after Tick, want 4", n)
	}
	if err := h.Reconfigure([]byte("tick")); err != nil {
		t.Fatal(err)
	}
	if n := count("plugin done"); n != 2 {
		t.Fatalf("%d root contexts done after a reconfiguration, want 2", n)
	}
	h.Close()
	if n := count("plugin done"); n != 4 {
		t.Fatalf("%d root contexts done after Close, want 4", n)
	}
}

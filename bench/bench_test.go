// Package bench holds the benchmarks behind BENCHMARKS.md: a counted request through the
// koji-edge .wasm in the repo's Envoy-faithful host, measured in the same run as two modules
// built the same way on the same ABI binding (testdata/passthrough does nothing;
// testdata/floor makes only the host calls a counted request needs), plus preflights, guest
// allocations, worker scaling and key-count scaling.
//
//	make bench        (go test -run '^$' -bench . -benchmem -count 5 ./bench/ ./limiter/)
package bench

import (
	"strconv"
	"sync"
	"testing"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// config never rejects (a billion a day), so every op is one admitted, counted request with
// an allowed Origin: the full path, CORS headers included.
const config = `{
  "rate_limit": {"plans": {"bench": {"requests": 1000000000, "window": "24h"}}, "max_tracked_keys": 200000},
  "cors": {"allowed_origins": ["https://app.example"]}
}`

var countedHeaders = []host.Header{{"user-agent", "bench"}, {"accept", "*/*"}, {"x-api-key", "bench-key-0001"}, {"origin", "https://app.example"}}

func module(b *testing.B, name string) []byte {
	switch name {
	case "koji-edge":
		return wasmbuild.Read(b, wasmbuild.Filter(b))
	default:
		return wasmbuild.Read(b, wasmbuild.Module(b, "./bench/testdata/"+name))
	}
}

func newHost(b *testing.B, wasm []byte, workers int) *host.Host {
	h, err := host.New(wasm, host.Options{Workers: workers, VMID: "bench", Configuration: []byte(config)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(h.Close)
	return h
}

func hostCalls(h *host.Host) uint64 {
	var n uint64
	for _, vm := range h.Workers() {
		n += vm.HostCalls.Load()
	}
	return n
}

func run(b *testing.B, h *host.Host, worker int, req *host.Request, wantStatus int) {
	resp, err := h.DoOn(worker, req, nil)
	if err != nil || resp.Status != wantStatus {
		b.Fatalf("status %v, err %v", resp, err)
	}
}

// measure warms the worker up (the bucket exists, the arena and pools are grown), then times
// the same request b.N times, reporting host calls per request (WASI included).
func measure(b *testing.B, h *host.Host, req *host.Request, status int) {
	for i := 0; i < 1000; i++ {
		run(b, h, 0, req, status)
	}
	calls := hostCalls(h)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, h, 0, req, status)
	}
	b.StopTimer()
	b.ReportMetric(float64(hostCalls(h)-calls)/float64(b.N), "hostcalls/op")
}

// BenchmarkCountedRequest: the same request through koji-edge, the floor and the pass-through.
func BenchmarkCountedRequest(b *testing.B) {
	for _, name := range []string{"koji-edge", "floor", "passthrough"} {
		b.Run(name, func(b *testing.B) {
			h := newHost(b, module(b, name), 1)
			measure(b, h, &host.Request{Method: "GET", Path: "/v1/things", Authority: "api.example", Headers: countedHeaders}, 200)
		})
	}
}

// BenchmarkPreflight: an allowed preflight, answered by the filter.
func BenchmarkPreflight(b *testing.B) {
	h := newHost(b, module(b, "koji-edge"), 1)
	measure(b, h, &host.Request{Method: "OPTIONS", Path: "/v1/things", Authority: "api.example", Headers: []host.Header{
		{"origin", "https://app.example"}, {"access-control-request-method", "POST"}, {"access-control-request-headers", "x-api-key, content-type"}}}, 204)
}

// BenchmarkGuestAllocations counts heap allocations inside the guest per counted request, in
// steady state, with kojistats (koji-edge plus an export that reads runtime.MemStats), and the
// guest's linear memory afterwards.
func BenchmarkGuestAllocations(b *testing.B) {
	h := newHost(b, module(b, "kojistats"), 1)
	vm := h.Worker(0)
	atStart := vm.MemoryBytes()
	req := &host.Request{Method: "GET", Path: "/v1/things", Authority: "api.example", Headers: countedHeaders}
	for i := 0; i < 1000; i++ {
		run(b, h, 0, req, 200)
	}
	before, err := vm.CallExport("koji_bench_mallocs")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		run(b, h, 0, req, 200)
	}
	b.StopTimer()
	after, _ := vm.CallExport("koji_bench_mallocs")
	inuse, _ := vm.CallExport("koji_bench_heap_inuse")
	// ReadMemStats itself allocates nothing; the difference is the requests'.
	b.ReportMetric(float64(after-before)/float64(b.N), "guest-allocs/op")
	b.ReportMetric(float64(inuse), "guest-heap-inuse-bytes")
	b.ReportMetric(float64(atStart), "linear-memory-at-start-bytes")
	b.ReportMetric(float64(vm.MemoryBytes()), "linear-memory-bytes")
}

// BenchmarkWorkers: aggregate throughput with 1 and 2 worker VMs driven in parallel (this
// machine has 2 cores). ns/op is wall time divided by all requests served.
func BenchmarkWorkers(b *testing.B) {
	for _, workers := range []int{1, 2} {
		b.Run(strconv.Itoa(workers), func(b *testing.B) {
			h := newHost(b, module(b, "koji-edge"), workers)
			reqs := make([]*host.Request, workers)
			for w := range reqs {
				// One key per worker: the VMs do not contend on one bucket.
				reqs[w] = &host.Request{Method: "GET", Path: "/", Authority: "api.example", Headers: []host.Header{
					{"x-api-key", "worker-key-" + strconv.Itoa(w)}, {"origin", "https://app.example"}}}
				for i := 0; i < 1000; i++ {
					run(b, h, w, reqs[w], 200)
				}
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				n := b.N / workers
				if w == 0 {
					n += b.N % workers
				}
				wg.Add(1)
				go func(w, n int) {
					defer wg.Done()
					for i := 0; i < n; i++ {
						if resp, err := h.DoOn(w, reqs[w], nil); err != nil || resp.Status != 200 {
							b.Errorf("status %v, err %v", resp, err)
							return
						}
					}
				}(w, n)
			}
			wg.Wait()
		})
	}
}

// BenchmarkKeys: counted requests spread round-robin over 1, 10^3 and 10^5 distinct keys.
func BenchmarkKeys(b *testing.B) {
	for _, n := range []int{1, 1000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			h := newHost(b, module(b, "koji-edge"), 1)
			reqs := make([]*host.Request, n)
			for i := range reqs {
				reqs[i] = &host.Request{Method: "GET", Path: "/", Authority: "api.example", Headers: []host.Header{
					{"x-api-key", "key-" + strconv.Itoa(i)}, {"origin", "https://app.example"}}}
			}
			for i := 0; i < n && i < 200000; i++ {
				run(b, h, 0, reqs[i%n], 200)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				run(b, h, 0, reqs[i%n], 200)
			}
		})
	}
}

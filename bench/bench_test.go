// Package bench holds the benchmarks behind BENCHMARKS.md: a counted request through the
// koji-edge .wasm in the repo's Envoy-faithful host, measured in the same run as two modules
// built the same way on the same ABI binding (testdata/passthrough does nothing;
// testdata/floor makes only the host calls a counted request needs), plus preflights, guest
// allocations, worker scaling and key-count scaling.
//
//	make bench        (go test -run '^$' -bench . -benchmem -count 5 ./bench/ ./limiter/)
package bench

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"testing"
	"time"

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
// machine has 2 cores). ns/op is wall time divided by all requests served. The pass-through
// module is measured too: it does nothing in the guest, so its scaling is the host's own.
//
// Each runs with the host process's garbage collector at Go's default (GOGC=100) and relaxed
// (GOGC=400). The host is a Go program and every request leaves it garbage: with one worker its
// collector runs on the idle second core, with two it takes time from the workers. Envoy has
// no collector; the relaxed runs show how the filter scales with that cost mostly out of the way.
func BenchmarkWorkers(b *testing.B) {
	for _, gogc := range []int{100, 400} {
		for _, name := range []string{"koji-edge", "passthrough"} {
			for _, workers := range []int{1, 2} {
				b.Run("gogc="+strconv.Itoa(gogc)+"/"+name+"/"+strconv.Itoa(workers), func(b *testing.B) {
					defer debug.SetGCPercent(debug.SetGCPercent(gogc))
					parallelWorkers(b, module(b, name), workers)
				})
			}
		}
	}
}

func parallelWorkers(b *testing.B, wasm []byte, workers int) {
	h := newHost(b, wasm, workers)
	reqs := make([]*host.Request, workers)
	for w := range reqs {
		reqs[w] = workerRequest(w)
		for i := 0; i < 1000; i++ {
			run(b, h, w, reqs[w], 200)
		}
	}
	runtime.GC() // each run starts from the same heap
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
}

// workerRequest is worker w's counted request. One key per worker: the VMs do not contend on
// one bucket.
func workerRequest(w int) *host.Request {
	return &host.Request{Method: "GET", Path: "/", Authority: "api.example", Headers: []host.Header{
		{"x-api-key", "worker-key-" + strconv.Itoa(w)}, {"origin", "https://app.example"}}}
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

// BenchmarkPaired measures the two ratios the targets are about in alternating blocks, which
// cancel the slow drifts of this shared machine (separate benchmarks run seconds apart):
//   - floor: a block of counted requests through koji-edge, then the same through the floor
//     module; the metric is koji-edge's time over the floor's;
//   - workers: a block through one koji-edge worker VM, then a block through two in parallel
//     (each serving as many as the one did); the metric is two workers' throughput over one's.
//
// Each op is one pair of blocks; the metric is over the whole run (total time against total
// time, so blocks that a garbage collection of the host slowed down count in full).
func BenchmarkPaired(b *testing.B) {
	const block = 2000
	counted := &host.Request{Method: "GET", Path: "/v1/things", Authority: "api.example", Headers: countedHeaders}
	serve := func(h *host.Host, worker int, req *host.Request) time.Duration {
		start := time.Now()
		for i := 0; i < block; i++ {
			run(b, h, worker, req, 200)
		}
		return time.Since(start)
	}
	b.Run("floor", func(b *testing.B) {
		koji, floor := newHost(b, module(b, "koji-edge"), 1), newHost(b, module(b, "floor"), 1)
		serve(koji, 0, counted)
		serve(floor, 0, counted)
		var k, f time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			k += serve(koji, 0, counted)
			f += serve(floor, 0, counted)
		}
		b.ReportMetric(float64(k)/float64(f), "x-floor")
	})
	b.Run("workers", func(b *testing.B) {
		h := newHost(b, module(b, "koji-edge"), 2)
		reqs := [2]*host.Request{}
		for w := range reqs {
			reqs[w] = workerRequest(w)
			serve(h, w, reqs[w])
		}
		var one, two time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			one += serve(h, 0, reqs[0])
			start := time.Now()
			var wg sync.WaitGroup
			for w := range reqs {
				wg.Add(1)
				go func() { defer wg.Done(); serve(h, w, reqs[w]) }()
			}
			wg.Wait()
			two += time.Since(start)
		}
		// Two workers served twice the requests.
		b.ReportMetric(2*float64(one)/float64(two), "x-one-worker")
	})
}

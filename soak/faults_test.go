package soak

import (
	"math/rand"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// TestFaultsUnderLoad: traffic on 20 keys over 2 workers while, in turn, a CAS storm (every 3rd
// conditional write refused), store errors (every 5th read fails), a worker VM replaced
// mid-traffic and a configuration reload that moves five keys to a bigger plan. Nothing traps,
// store faults give failure_mode's 503 (closed) and never an admission, and no key is ever
// admitted more than its limit in any window.
func TestFaultsUnderLoad(t *testing.T) {
	base := `{"rate_limit":{"plans":{"free":{"requests":200,"window":"10s"},"pro":{"requests":400,"window":"10s"}},
	          "default_plan":"free","keys":{KEYS},"failure_mode":"closed"}}`
	cfg := strings.Replace(base, "KEYS", "", 1)
	moved := `"k0":"pro","k1":"pro","k2":"pro","k3":"pro","k4":"pro"`
	clock := host.NewManualClock(t0)
	h, err := host.New(wasmbuild.Read(t, wasmbuild.Filter(t)), host.Options{Workers: 2, VMID: "faults", Configuration: []byte(cfg), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	rng := rand.New(rand.NewSource(7))
	admits := map[string][]time.Time{}
	var statusMu sync.Mutex
	statuses := map[int]int{}
	const batches, perBatch = 600, 40
	reloadAt := clock.Now().Add(400 * 50 * time.Millisecond)
	for b := 0; b < batches; b++ {
		switch b {
		case 100:
			h.Store.SetFaults(host.Faults{MismatchEvery: 3})
		case 200:
			h.Store.SetFaults(host.Faults{GetFailEvery: 5})
		case 300:
			h.Store.SetFaults(host.Faults{})
			if err := h.ReplaceWorker(0); err != nil {
				t.Fatal(err)
			}
		case 400:
			if err := h.Reconfigure([]byte(strings.Replace(base, "KEYS", moved, 1))); err != nil {
				t.Fatal(err)
			}
		}
		keys := make([]string, perBatch)
		for i := range keys {
			keys[i] = "k" + strconv.Itoa(rng.Intn(20))
		}
		now := clock.Now()
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < perBatch; i += 2 {
					r, err := h.DoOn(w, &host.Request{Method: "GET", Path: "/", Headers: []host.Header{{"x-api-key", keys[i]}}}, nil)
					if err != nil {
						t.Error(err)
						return
					}
					statusMu.Lock()
					statuses[r.Status]++
					statusMu.Unlock()
					switch r.Status {
					case 200:
						mu.Lock()
						admits[keys[i]] = append(admits[keys[i]], now)
						mu.Unlock()
					case 429:
					case 503:
						if b < 200 || b >= 300 || !strings.Contains(string(r.Body), "rate_limit_unavailable") {
							t.Errorf("batch %d: 503 %s", b, r.Body)
						}
					default:
						t.Errorf("status %d", r.Status)
					}
				}
			}(w)
		}
		wg.Wait()
		clock.Advance(50 * time.Millisecond)
	}
	for k, ts := range admits {
		for i := range ts {
			j := i
			for j < len(ts) && ts[j].Sub(ts[i]) < 10*time.Second {
				j++
			}
			limit := 200
			if strings.Contains(moved, `"`+k+`"`) && !ts[j-1].Before(reloadAt) {
				limit = 400
			}
			if j-i > limit {
				t.Fatalf("%s: %d admitted in one window from %v (limit %d)", k, j-i, ts[i].Sub(t0), limit)
			}
		}
	}
	h.Tick() // the filter reports its counts on its timer
	conflicts, _ := h.Metrics.Value("koji_edge_cas_conflicts")
	failures, _ := h.Metrics.Value("koji_edge_store_failures")
	t.Logf("statuses %v; CAS conflicts %d, store failures %d, traps %d", statuses, conflicts, failures, h.Traps())
	if h.Traps() != 0 {
		t.Fatalf("%d traps", h.Traps())
	}
	if conflicts == 0 || failures == 0 || statuses[503] == 0 {
		t.Fatal("the faults did not happen")
	}
}

package soak

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// TestFlood: distinct random keys (1 million in make soak) against a small table, while a few
// legitimate keys, already in use when the flood starts, keep calling. Shared data must stay
// within the table, and the legitimate keys' accuracy during the flood is measured: "steady"
// keys at half their rate must never be rejected; "greedy" keys at twice their rate must never
// get more than their limit in any window (an evicted key would start over and could). A key
// whose first request arrives in the middle of such a flood holds no more than a flood key
// does, and may be evicted: the README documents that.
func TestFlood(t *testing.T) {
	floodKeys := envInt("KOJI_FLOOD_KEYS", 100_000)
	const (
		tracked = 1000 // 250 buckets of 4
		limit   = 100
		window  = 10 * time.Second
	)
	cfg := `{"rate_limit":{"plans":{"p":{"requests":100,"window":"10s"}},"max_tracked_keys":` + strconv.Itoa(tracked) + `}}`
	clock := host.NewManualClock(t0)
	h, err := host.New(wasmbuild.Read(t, wasmbuild.Filter(t)), host.Options{Workers: 2, VMID: "flood", Configuration: []byte(cfg), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	steady := []string{"steady-a", "steady-b", "steady-c"}
	greedy := []string{"greedy-a", "greedy-b"}
	steadyEvery := 2 * window / limit // half the rate
	greedyEvery := window / limit / 2 // twice the rate
	type stat struct {
		sent, admitted int
		admits, sends  []time.Time
	}
	stats := map[string]*stat{}
	for _, k := range append(append([]string{}, steady...), greedy...) {
		stats[k] = &stat{}
	}
	send := func(w int, key string) *host.Response {
		r, err := h.DoOn(w, &host.Request{Method: "GET", Path: "/", Headers: []host.Header{{"x-api-key", key}}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// The flood is spread over 60 s of host time: six windows of the legitimate keys.
	const tick = 5 * time.Millisecond
	perTick := max(2, floodKeys/int(60*time.Second/tick))
	nextSteady, nextGreedy := clock.Now(), clock.Now()
	flooded := 0
	floodFrom := t0.Add(window) // one window of normal traffic first
	for flooded < floodKeys {
		// The flood: this tick's share of distinct keys, over both workers in parallel.
		n := perTick
		if clock.Now().Before(floodFrom) {
			n = 0
		}
		var wg sync.WaitGroup
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func(w, base int) {
				defer wg.Done()
				for i := w; i < n; i += 2 {
					if r := send(w, "flood-"+strconv.Itoa(base+i)); r.Status != 200 {
						t.Errorf("a new key got %d", r.Status)
					}
				}
			}(w, flooded)
		}
		wg.Wait()
		flooded += n
		now := clock.Now()
		for !nextSteady.After(now) {
			for i, k := range steady {
				r := send(i%2, k)
				st := stats[k]
				st.sent++
				if r.Status == 200 {
					st.admitted++
				}
			}
			nextSteady = nextSteady.Add(steadyEvery)
		}
		for !nextGreedy.After(now) {
			for i, k := range greedy {
				r := send(i%2, k)
				st := stats[k]
				st.sent++
				st.sends = append(st.sends, now)
				if r.Status == 200 {
					st.admitted++
					st.admits = append(st.admits, now)
				}
			}
			nextGreedy = nextGreedy.Add(greedyEvery)
		}
		clock.Advance(tick)
	}

	keys := h.Store.Keys("flood")
	buckets := (tracked + 3) / 4
	t.Logf("%d flood keys over %v of host time; %d shared-data keys (table: %d buckets + 1 anchor), %d bytes",
		flooded, clock.Now().Sub(t0), len(keys), buckets, h.Store.Bytes("flood"))
	if len(keys) > buckets+1 {
		t.Fatalf("%d shared-data keys for a table of %d", len(keys), buckets+1)
	}
	for _, k := range keys {
		if strings.Contains(k, "flood-") || strings.Contains(k, "steady") {
			t.Fatalf("a raw key in shared data: %s", k)
		}
	}
	for _, k := range steady {
		st := stats[k]
		t.Logf("%s (half its rate): %d sent, %d admitted, %d rejected", k, st.sent, st.admitted, st.sent-st.admitted)
		if st.admitted != st.sent {
			t.Errorf("%s was rejected %d times at half its rate during the flood", k, st.sent-st.admitted)
		}
	}
	for _, k := range greedy {
		st := stats[k]
		most := 0
		for i := range st.admits { // the most admissions in any window of 10 s
			j := i
			for j < len(st.admits) && st.admits[j].Sub(st.admits[i]) < window {
				j++
			}
			most = max(most, j-i)
		}
		// What an exact sliding log admits from the same sends: the accuracy seen during the flood.
		var log []time.Time
		for _, at := range st.sends {
			n := 0
			for _, a := range log {
				if at.Sub(a) < window {
					n++
				}
			}
			if n < limit {
				log = append(log, at)
			}
		}
		t.Logf("%s (twice its rate): %d sent, %d admitted (an exact sliding log: %d); most admitted in any 10 s: %d (limit %d)",
			k, st.sent, st.admitted, len(log), most, limit)
		if most > limit {
			t.Errorf("%s got %d in one window during the flood: it lost its entry", k, most)
		}
	}
	h.Tick() // the filter reports its counts on its timer
	for _, name := range []string{"koji_edge_failed_open", "koji_edge_store_failures", "koji_edge_cas_conflicts"} {
		v, _ := h.Metrics.Value(name)
		t.Logf("%s = %d", name, v)
	}
	for _, l := range h.Logs() {
		if l.Level >= host.LevelWarn {
			t.Logf("log: %s", l.Message)
		}
	}
	if h.Traps() != 0 {
		t.Fatalf("%d traps", h.Traps())
	}
}

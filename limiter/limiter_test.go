package limiter

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

const t0 = int64(1_767_225_600) * 1e9 // 2026-01-01T00:00:00Z, on every sub-window boundary

// key is one client's state, driven through Apply exactly as the filter does.
type key struct {
	fp     uint64
	limits []Limit
	state  []byte
}

func (k *key) request(now int64) Decision {
	d, next := Apply(nil, k.state, k.fp, k.limits, now)
	if next != nil {
		k.state = append([]byte(nil), next...)
	}
	return d
}

// probe answers what a request at now would get, without recording it.
func (k *key) probe(now int64) Decision {
	d, _ := Apply(nil, k.state, k.fp, k.limits, now)
	return d
}

// remainingAt is what is left before a request at now: the reported limit's allowance.
func (k *key) remainingAt(now int64) uint32 {
	d := k.probe(now)
	if !d.Admit {
		return 0
	}
	return d.Remaining + 1
}

// countIn is an exact sliding log: admissions in (t-w, t].
func countIn(log []int64, t, w int64) int {
	lo := sort.Search(len(log), func(i int) bool { return log[i] > t-w })
	hi := sort.Search(len(log), func(i int) bool { return log[i] > t })
	return hi - lo
}

var windows = []time.Duration{time.Second, 1500 * time.Millisecond, 7 * time.Second, time.Minute, time.Hour, 24 * time.Hour}
var sizes = []uint32{1, 2, 3, 10, 100, 1000}

// TestPropertiesAgainstSlidingLog drives random traffic (bursts, quiet spells, requests on
// sub-window boundaries) and checks every guarantee of CONTRACT §3 against an exact sliding log.
func TestPropertiesAgainstSlidingLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for run := 0; run < 120; run++ {
		w := int64(windows[run%len(windows)])
		l := sizes[(run/len(windows))%len(sizes)]
		lim := Limit{Requests: l, Window: w}
		g := lim.slot()
		k := &key{fp: rng.Uint64(), limits: []Limit{lim}}
		var log []int64
		now := t0 + rng.Int64N(w)
		meanGap := w / int64(l)
		for i := 0; i < 3000; i++ {
			switch r := rng.IntN(10); {
			case r < 3: // burst: same instant
			case r < 5: // jump to a sub-window boundary, or just before it
				now = (now/g+1)*g - rng.Int64N(2)
			case r < 6: // quiet spell
				now += rng.Int64N(2 * w)
			default:
				now += rng.Int64N(2*meanGap + 1)
			}
			before := k.remainingAt(now)
			d := k.request(now)
			if d.Admit {
				log = append(log, now)
				if c := countIn(log, now, w); c > int(l) {
					t.Fatalf("W=%v L=%d: %d admitted in one window ending at %d", time.Duration(w), l, c, now)
				}
				if d.Remaining != before-1 {
					t.Fatalf("remaining %d, want %d", d.Remaining, before-1)
				}
			} else {
				// Allowance returns no later than W/10 after the exact log: the exact log over W+W/10
				// must also be full.
				if c := countIn(log, now, w+w/SubWindows+1); c < int(l) {
					t.Fatalf("W=%v L=%d: rejected at %d with only %d admitted in W+W/10", time.Duration(w), l, now, c)
				}
				if d.Remaining != 0 || d.RetryAfter < 1 {
					t.Fatalf("429 decision %+v", d)
				}
				// Retry-After is honest: waiting it, with no other traffic, is admitted.
				if p := k.probe(now + d.RetryAfter*1e9); !p.Admit {
					t.Fatalf("W=%v L=%d: not admitted after Retry-After %ds", time.Duration(w), l, d.RetryAfter)
				}
				// ...and not much longer than needed: one second earlier it was still full,
				// unless that is already now.
				if d.RetryAfter > 1 {
					if p := k.probe(now + (d.RetryAfter-1)*1e9); p.Admit {
						t.Fatalf("W=%v L=%d: Retry-After %ds is a second too long", time.Duration(w), l, d.RetryAfter)
					}
				}
			}
			// Reset is the first whole second at which remaining has grown.
			rem := k.remainingAt(now)
			if got := k.remainingAt(d.ResetUnix * 1e9); got <= rem {
				t.Fatalf("W=%v L=%d: at Reset %d remaining %d has not grown from %d", time.Duration(w), l, d.ResetUnix, got, rem)
			}
			if earlier := (d.ResetUnix - 1) * 1e9; earlier >= now {
				if got := k.remainingAt(earlier); got != rem {
					t.Fatalf("W=%v L=%d: one second before Reset remaining is %d, not %d", time.Duration(w), l, got, rem)
				}
			}
		}
	}
}

// TestNinetyPercentNeverRejected: evenly spaced requests at 90 % of the rate, any phase.
func TestNinetyPercentNeverRejected(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, w := range windows {
		for _, l := range sizes {
			lim := Limit{Requests: l, Window: int64(w)}
			gap := int64(float64(w) / (0.9 * float64(l)))
			k := &key{fp: 7, limits: []Limit{lim}}
			now := t0 + rng.Int64N(int64(w))
			n := 5*int(l) + 20
			if n > 3000 {
				n = 3000
			}
			for i := 0; i < n; i++ {
				if d := k.request(now); !d.Admit {
					t.Fatalf("W=%v L=%d: request %d at 90%% of the rate rejected", w, l, i)
				}
				now += gap
			}
		}
	}
}

func TestSeveralLimitsReportTheTightest(t *testing.T) {
	perSecond := Limit{Requests: 5, Window: int64(time.Second)}
	perHour := Limit{Requests: 8, Window: int64(time.Hour)}
	k := &key{fp: 9, limits: []Limit{perSecond, perHour}}
	now := t0
	for i := 0; i < 5; i++ {
		d := k.request(now)
		if !d.Admit || d.Limit != 5 || d.Remaining != uint32(4-i) {
			t.Fatalf("request %d: %+v", i, d)
		}
	}
	d := k.request(now)
	if d.Admit || d.Limit != 5 || d.RetryAfter != 2 {
		// the per-second limit is full; its allowance returns at t0+1.1s, so Retry-After is 2
		t.Fatalf("6th request: %+v", d)
	}
	now += 2e9
	for i := 0; i < 3; i++ {
		if d := k.request(now); !d.Admit {
			t.Fatalf("after 2s request %d rejected: %+v", i, d)
		}
	}
	d = k.request(now)
	if d.Admit || d.Limit != 8 || d.Remaining != 0 {
		t.Fatalf("hour limit must be reported once spent: %+v", d)
	}
	// Retry-After is the wait until every limit admits: the hour's first sub-window (6 min).
	if d.RetryAfter < 3600 || d.RetryAfter > 3600+360 {
		t.Fatalf("Retry-After %d, want about an hour", d.RetryAfter)
	}
	if p := k.probe(now + d.RetryAfter*1e9); !p.Admit {
		t.Fatal("not admitted after Retry-After")
	}
}

func TestTieReportsLatestReset(t *testing.T) {
	a := Limit{Requests: 2, Window: int64(time.Second)}
	b := Limit{Requests: 2, Window: int64(time.Minute)}
	k := &key{fp: 1, limits: []Limit{a, b}}
	k.request(t0)
	d := k.request(t0)
	if d.Remaining != 0 || d.Limit != 2 || d.ResetUnix != (t0+66e9)/1e9 {
		t.Fatalf("tie must report the minute limit's reset: %+v", d)
	}
}

// A stored entry whose windows are in the plan's order is updated in place; one in another
// order (after a reload that reorders a plan's limits) is rebuilt, matching windows by length.
// Both must give the same answers on the same traffic, and Apply must never change old.
func TestStoredOrderDoesNotMatter(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a := Limit{Requests: 7, Window: int64(time.Second)}
	b := Limit{Requests: 20, Window: int64(time.Minute)}
	c := Limit{Requests: 50, Window: int64(time.Hour)}
	orders := [][]Limit{{a, b, c}, {c, a, b}, {b, c, a}, {a, c, b}}
	same := &key{fp: 5, limits: orders[0]}
	mixed := &key{fp: 5, limits: orders[0]}
	now := t0
	for i := 0; i < 5000; i++ {
		now += rng.Int64N(300e6)
		mixed.limits = orders[rng.IntN(len(orders))]
		before := append([]byte(nil), mixed.state...)
		d1, d2 := same.request(now), mixed.request(now)
		if d1.Admit != d2.Admit || d1.Remaining != d2.Remaining || d1.ResetUnix != d2.ResetUnix || d1.RetryAfter != d2.RetryAfter {
			t.Fatalf("request %d: in place %+v, rebuilt %+v", i, d1, d2)
		}
		old := append([]byte(nil), before...)
		Apply(make([]byte, 0, MaxBucketSize), old, 5, orders[0], now)
		if string(old) != string(before) {
			t.Fatal("Apply changed the stored value it was given")
		}
	}
}

func TestRejectedRequestsConsumeNothing(t *testing.T) {
	k := &key{fp: 1, limits: []Limit{{Requests: 1, Window: int64(time.Second)}}}
	k.request(t0)
	snapshot := append([]byte(nil), k.state...)
	for i := 0; i < 100; i++ {
		if d := k.request(t0 + int64(i)*1e6); d.Admit {
			t.Fatal("admitted over the limit")
		}
	}
	if string(snapshot) != string(k.state) {
		t.Fatal("a rejected request changed the state")
	}
}

func TestEntryIs64BytesPerLimit(t *testing.T) {
	if EntrySize(1) != 64 || EntrySize(2) > 128 {
		t.Fatalf("entry sizes %d, %d", EntrySize(1), EntrySize(2))
	}
	k := &key{fp: 1, limits: []Limit{{Requests: 3, Window: int64(time.Minute)}}}
	k.request(t0)
	if len(k.state) != 64 {
		t.Fatalf("one key, one limit: %d bytes", len(k.state))
	}
}

func TestBucketSharesFourWaysAndEvictsIdleFirst(t *testing.T) {
	lim := []Limit{{Requests: 10, Window: int64(time.Second)}}
	var bucket []byte
	apply := func(fp uint64, now int64) Decision {
		d, next := Apply(nil, bucket, fp, lim, now)
		if next != nil {
			bucket = append([]byte(nil), next...)
		}
		return d
	}
	for fp := uint64(1); fp <= 4; fp++ {
		for i := uint64(0); i < fp; i++ {
			apply(fp, t0)
		}
	}
	if len(bucket) != 4*64 {
		t.Fatalf("four keys: %d bytes", len(bucket))
	}
	// Key 1 stays busy; the others go idle; after a window a new key evicts an idle one.
	apply(1, t0+2e9)
	if d := apply(5, t0+2e9); d.Evicted {
		t.Fatal("evicted a live entry while idle ones existed")
	}
	if d := apply(1, t0+2e9); d.Remaining != 10-2 {
		t.Fatalf("busy key lost its count: %+v", d)
	}
	// All live now (1, 5 and two fresh keys): the one with the fewest requests goes.
	apply(6, t0+2e9)
	apply(7, t0+2e9)
	apply(7, t0+2e9)
	d := apply(8, t0+2e9)
	if !d.Evicted {
		t.Fatal("a full, live bucket must evict")
	}
	if len(bucket) > Ways*64 {
		t.Fatalf("bucket grew to %d bytes", len(bucket))
	}
	if d := apply(1, t0+2e9); d.Remaining != 10-3 {
		t.Fatalf("the busiest key must survive eviction: %+v", d)
	}
}

func TestReloadKeepsCountsOfAWindowThatStays(t *testing.T) {
	free := []Limit{{Requests: 100, Window: int64(time.Minute)}}
	pro := []Limit{{Requests: 1000, Window: int64(time.Minute)}, {Requests: 50, Window: int64(time.Second)}}
	k := &key{fp: 3, limits: free}
	for i := 0; i < 10; i++ {
		k.request(t0)
	}
	k.limits = pro
	d := k.request(t0)
	if !d.Admit || d.Limit != 50 || d.Remaining != 49 {
		t.Fatalf("%+v", d)
	}
	k.limits = pro[:1]
	if d := k.request(t0); d.Remaining != 1000-12 {
		t.Fatalf("minute window's count not kept across the plan change: %+v", d)
	}
}

func TestCorruptValueIsTreatedAsEmpty(t *testing.T) {
	lim := []Limit{{Requests: 1, Window: int64(time.Second)}}
	for _, junk := range [][]byte{{1}, {1, 2, 3, 4, 5, 6, 7, 200}, make([]byte, 63), make([]byte, 6*64)} {
		d, next := Apply(nil, junk, 1, lim, t0)
		if !d.Admit || !d.Corrupt || len(next) != 64 {
			t.Fatalf("junk %v: %+v, %d bytes", junk[:min(8, len(junk))], d, len(next))
		}
	}
}

func BenchmarkApply(b *testing.B) {
	lim := []Limit{{Requests: 1 << 30, Window: int64(time.Minute)}}
	var state []byte
	dst := make([]byte, 0, MaxBucketSize)
	buf := make([]byte, 0, MaxBucketSize)
	for fp := uint64(1); fp <= 3; fp++ {
		_, next := Apply(dst, state, fp, lim, t0)
		state = append(buf[:0], next...)
	}
	b.ReportAllocs()
	now := t0
	for i := 0; i < b.N; i++ {
		now += 1e6
		_, next := Apply(dst, state, 2, lim, now)
		state = append(buf[:0], next...)
	}
}

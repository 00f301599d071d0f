// Package limiter is koji-edge's rolling-window rate limiter: pure arithmetic on byte slices,
// knowing nothing of Proxy-Wasm. The filter reads a shared-data value, calls Apply, and writes
// the result back with compare-and-swap.
//
// Algorithm: each limit of L requests per window W keeps counts for SubWindows+1 consecutive
// sub-windows of length g = ceil(W/SubWindows). A request at time t is admitted when the sum of
// those counts (the current sub-window and the SubWindows before it) is below L. Those buckets
// cover every admission in (t-W, t], so no interval of length W ever holds more than L admitted
// requests: the limiter never over-admits. They also cover at most W+g of the past, so an
// admission stops counting at most g = W/10 after an exact sliding log would release it, and a
// client sending evenly at 90 % of the rate is never rejected (at most 0.99·L earlier requests
// fall in any span of W+g). Rejected requests change nothing.
package limiter

// SubWindows is the number of sub-windows a window is cut into; it bounds the error: allowance
// comes back at most Window/SubWindows late.
const SubWindows = 10

const ring = SubWindows + 1

// Limit is one rule of a plan: Requests per Window.
type Limit struct {
	Requests uint32
	Window   int64 // nanoseconds, a whole number of milliseconds
}

// slot is the sub-window length, rounded up so that SubWindows slots always cover the window.
func (l Limit) slot() int64 { return (l.Window + SubWindows - 1) / SubWindows }

func (l Limit) windowMs() uint32 { return uint32(l.Window / 1e6) }

// window is the rolling state of one limit of one key. counts[0] is sub-window head,
// counts[k] is sub-window head-k.
type window struct {
	ms     uint32
	head   uint64
	counts [ring]uint32
}

// advance moves the window to sub-window b. A b behind head (another worker's clock read a
// moment later) counts into head, which only delays the request's release.
func (w *window) advance(b uint64) {
	if b <= w.head {
		return
	}
	d := b - w.head
	if d >= ring {
		w.counts = [ring]uint32{}
	} else {
		copy(w.counts[d:], w.counts[:ring-d])
		clear(w.counts[:d])
	}
	w.head = b
}

func (w *window) total() uint64 {
	var s uint64
	for _, c := range w.counts {
		s += uint64(c)
	}
	return s
}

func (w *window) empty() bool { return w.total() == 0 }

// releaseAt is the moment sub-window head-k stops counting.
func (w *window) releaseAt(k int, slot int64) int64 {
	return int64(w.head-uint64(k)+ring) * slot
}

// verdict is one limit's answer.
type verdict struct {
	admit     bool
	limit     uint32
	remaining uint32 // after this request when admitted; 0 when not
	resetNs   int64  // next moment remaining grows
	retryNs   int64  // when not admitted: the first moment it would be
}

// check evaluates one request against w (already advanced to now) without changing it, into v
// (by pointer: struct copies are dear in Wasm).
func (w *window) check(l Limit, now int64, v *verdict) {
	slot := l.slot()
	// One pass: how many are counted, and the oldest sub-window that counts any.
	var used uint64
	oldest := 0
	for k, c := range w.counts {
		used += uint64(c)
		if c != 0 {
			oldest = k
		}
	}
	*v = verdict{limit: l.Requests}
	if used < uint64(l.Requests) {
		v.admit = true
		v.remaining = uint32(uint64(l.Requests) - used - 1)
		// The request itself lands in counts[0]; the oldest non-empty sub-window goes first.
		v.resetNs = w.releaseAt(oldest, slot)
		return
	}
	v.resetNs, v.retryNs = -1, -1
	var released uint64
	for k := ring - 1; k >= 0; k-- {
		if w.counts[k] == 0 {
			continue
		}
		if v.resetNs < 0 {
			v.resetNs = w.releaseAt(k, slot)
		}
		released += uint64(w.counts[k])
		if used-released < uint64(l.Requests) {
			v.retryNs = w.releaseAt(k, slot)
			break
		}
	}
	if v.resetNs < 0 { // a limit of 0 cannot be configured; keep the answer sane anyway
		v.resetNs = now + l.Window
	}
	if v.retryNs < 0 {
		v.retryNs = v.resetNs
	}
}

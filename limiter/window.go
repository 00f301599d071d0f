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

import (
	"encoding/binary"
	"math/bits"
)

// SubWindows is the number of sub-windows a window is cut into; it bounds the error: allowance
// comes back at most Window/SubWindows late.
const SubWindows = 10

const ring = SubWindows + 1

// window.usage is written out for exactly 11 counts: changing SubWindows fails to compile here.
const _ = uint(ring-11) + uint(11-ring)

// Limit is one rule of a plan: Requests per Window.
type Limit struct {
	Requests uint32
	Window   int64 // nanoseconds, a whole number of milliseconds
}

// slot is the sub-window length, rounded up so that SubWindows slots always cover the window.
func (l Limit) slot() int64 { return (l.Window + SubWindows - 1) / SubWindows }

func (l Limit) windowMs() uint32 { return uint32(l.Window / 1e6) }

// window is the rolling state of one limit of one key, read and changed in place in its stored
// bytes (decoding it into a struct and encoding it back cost more than the window math in Wasm):
// window ms (u32) | head sub-window (u64) | SubWindows+1 counts (u32), little-endian, where
// count 0 is sub-window head and count k is sub-window head-k.
type window []byte

func (w window) ms() uint32               { return binary.LittleEndian.Uint32(w) }
func (w window) head() uint64             { return binary.LittleEndian.Uint64(w[4:]) }
func (w window) counts() []byte           { return w[12:limitSize:limitSize] }
func (w window) count(k int) uint32       { return binary.LittleEndian.Uint32(w[12+4*k:]) }
func (w window) setCount(k int, c uint32) { binary.LittleEndian.PutUint32(w[12+4*k:], c) }

// subWindow is the sub-window that holds time now.
func subWindow(now, slot int64) uint64 {
	if now >= 0 {
		return uint64(now) / uint64(slot) // unsigned: no overflow check, no runtime call in Wasm
	}
	return uint64(now / slot)
}

// advance moves the window to sub-window b. A b behind head (another worker's clock read a
// moment later) counts into head, which only delays the request's release.
func (w window) advance(b uint64) {
	head := w.head()
	if b <= head {
		return
	}
	c := w.counts()
	if d := b - head; d >= ring {
		clear(c)
	} else {
		copy(c[4*d:], c[:4*(ring-d)])
		clear(c[:4*d])
	}
	binary.LittleEndian.PutUint64(w[4:], b)
}

// live reports whether the window still counts anything at sub-window b, without changing it:
// after advancing to b, count k lands at k+(b-head) and counts while that is below ring.
func (w window) live(b uint64) bool {
	keep := ring
	if head := w.head(); b > head {
		if b-head >= ring {
			return false
		}
		keep = ring - int(b-head)
	}
	for k := 0; k < keep; k++ {
		if w.count(k) != 0 {
			return true
		}
	}
	return false
}

// releaseAt is the moment sub-window head-k stops counting.
func releaseAt(head uint64, k int, slot int64) int64 {
	return int64(head-uint64(k)+ring) * slot
}

// verdict is one limit's answer.
type verdict struct {
	admit     bool
	limit     uint32
	remaining uint32 // after this request when admitted; 0 when not
	resetNs   int64  // next moment remaining grows
	retryNs   int64  // when not admitted: the first moment it would be
}

// usage is how many requests the window counts and the oldest sub-window that counts any (0
// when none), in straight-line code: in Go's wasm backend every turn of a loop, and every taken
// branch, is a jump through the function's dispatch table, and this runs on every request.
func (w window) usage() (used uint64, oldest int) {
	c := w.counts()
	_ = c[4*ring-1]
	n0, n1, n2, n3 := binary.LittleEndian.Uint32(c[0:]), binary.LittleEndian.Uint32(c[4:]), binary.LittleEndian.Uint32(c[8:]), binary.LittleEndian.Uint32(c[12:])
	n4, n5, n6, n7 := binary.LittleEndian.Uint32(c[16:]), binary.LittleEndian.Uint32(c[20:]), binary.LittleEndian.Uint32(c[24:]), binary.LittleEndian.Uint32(c[28:])
	n8, n9, n10 := binary.LittleEndian.Uint32(c[32:]), binary.LittleEndian.Uint32(c[36:]), binary.LittleEndian.Uint32(c[40:])
	used = uint64(n0) + uint64(n1) + uint64(n2) + uint64(n3) + uint64(n4) + uint64(n5) + uint64(n6) +
		uint64(n7) + uint64(n8) + uint64(n9) + uint64(n10)
	nonEmpty := nz(n0) | nz(n1)<<1 | nz(n2)<<2 | nz(n3)<<3 | nz(n4)<<4 | nz(n5)<<5 | nz(n6)<<6 |
		nz(n7)<<7 | nz(n8)<<8 | nz(n9)<<9 | nz(n10)<<10
	return used, bits.Len32(nonEmpty|1) - 1
}

// nz is 1 when n is not 0, without a branch.
func nz(n uint32) uint32 { return (n | -n) >> 31 }

// check evaluates one request against w (already advanced to now) without changing it, into v
// (by pointer: struct copies are dear in Wasm).
func (w window) check(l Limit, now int64, v *verdict) {
	slot, head := l.slot(), w.head()
	used, oldest := w.usage()
	*v = verdict{limit: l.Requests}
	if used < uint64(l.Requests) {
		v.admit = true
		v.remaining = uint32(uint64(l.Requests) - used - 1)
		// The request itself lands in count 0; the oldest non-empty sub-window goes first.
		v.resetNs = releaseAt(head, oldest, slot)
		return
	}
	v.resetNs, v.retryNs = -1, -1
	var released uint64
	for k := ring - 1; k >= 0; k-- {
		n := w.count(k)
		if n == 0 {
			continue
		}
		if v.resetNs < 0 {
			v.resetNs = releaseAt(head, k, slot)
		}
		released += uint64(n)
		if used-released < uint64(l.Requests) {
			v.retryNs = releaseAt(head, k, slot)
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

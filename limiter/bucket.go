package limiter

import (
	"encoding/binary"
)

// A shared-data value is one bucket of up to Ways entries, most recently used first. An API key
// hashes to one bucket and may occupy any of its entries, so the table never holds more than
// Buckets × Ways keys and never creates more than Buckets shared-data keys.
//
// entry  = fingerprint (7 bytes) | number of limits (1 byte) | limits × 56 bytes
// limit  = window ms (u32) | head sub-window (u64) | SubWindows+1 counts (u32)
// All little-endian. A key with one limit takes exactly 64 bytes.
const (
	Ways        = 4
	entryHeader = 8
	limitSize   = 4 + 8 + 4*ring
	// MaxLimits is the most limits one plan may have.
	MaxLimits = 8
)

// EntrySize is the bytes one key with n limits occupies.
func EntrySize(n int) int { return entryHeader + n*limitSize }

// MaxBucketSize is the largest value a bucket can grow to.
const MaxBucketSize = Ways * (entryHeader + MaxLimits*limitSize)

// Decision is the answer for one request, ready for the response headers.
type Decision struct {
	Admit bool
	// The reported limit: the one with the least remaining (latest reset on a tie).
	Limit     uint32
	Remaining uint32
	ResetUnix int64 // whole seconds: the first second at which Remaining has grown
	// RetryAfter is, when not admitted, the whole seconds (≥ 1) until every limit admits.
	RetryAfter int64
	// Evicted is set when a key that still counted lost its entry to make room.
	Evicted bool
	// Corrupt is set when the stored bucket could not be parsed and was treated as empty.
	Corrupt bool
}

type span struct{ off, end int }

type bucketView struct {
	entries [Ways]span
	n       int
}

// parse finds the entries of a stored bucket; on malformed data it reports false and leaves the
// view empty. (It fills the caller's view: returning one would copy it, which is dear in Wasm.)
func (v *bucketView) parse(b []byte) bool {
	v.n = 0
	off := 0
	for off < len(b) {
		if v.n == Ways || off+entryHeader > len(b) {
			v.n = 0
			return false
		}
		nlim := int(b[off+7])
		end := off + EntrySize(nlim)
		if nlim == 0 || nlim > MaxLimits || end > len(b) {
			v.n = 0
			return false
		}
		v.entries[v.n] = span{off, end}
		v.n++
		off = end
	}
	return true
}

// fingerprintOf is an entry's first 7 bytes (an entry is never shorter than its 8-byte header).
func fingerprintOf(e []byte) uint64 { return binary.LittleEndian.Uint64(e) & (1<<56 - 1) }

// windowAt is limit i of an entry.
func windowAt(e []byte, i int) window {
	off := entryHeader + i*limitSize
	return window(e[off : off+limitSize : off+limitSize])
}

// live reports whether an entry still counts anything at time now.
func live(e []byte, now int64) bool {
	for i := 0; i < int(e[7]); i++ {
		w := windowAt(e, i)
		if w.ms() == 0 {
			continue
		}
		if w.live(subWindow(now, Limit{Window: int64(w.ms()) * 1e6}.slot())) {
			return true
		}
	}
	return false
}

func entryTotal(e []byte) uint64 {
	var s uint64
	for i := 0; i < int(e[7]); i++ {
		used, _ := windowAt(e, i).usage()
		s += used
	}
	return s
}

// sameLayout reports whether a stored entry holds exactly these limits' windows, in order: then
// it is copied as it is and updated in place.
func sameLayout(e []byte, limits []Limit) bool {
	if int(e[7]) != len(limits) {
		return false
	}
	for i, l := range limits {
		if windowAt(e, i).ms() != l.windowMs() {
			return false
		}
	}
	return true
}

// Apply decides one request of the key with fingerprint fp (56 bits are used) under limits at
// time now (Unix ns), given the bucket's stored value old (nil when the key does not exist).
// When the request is admitted it returns the bucket's new value, built in dst[:0]; otherwise
// it returns nil and nothing must be written: rejected requests consume nothing.
func Apply(dst, old []byte, fp uint64, limits []Limit, now int64) (Decision, []byte) {
	var d Decision
	var bv bucketView
	d.Corrupt = !bv.parse(old)
	fp &= 1<<56 - 1
	mine := -1
	for i := 0; i < bv.n; i++ {
		if fingerprintOf(old[bv.entries[i].off:]) == fp {
			mine = i
			break
		}
	}

	// The new value starts with this key's entry, built in dst and then updated in place: its
	// stored windows, matched to the limits by window length so that a configuration reload that
	// keeps a window keeps its counts, and empty windows for the others.
	var e []byte
	if mine >= 0 {
		e = old[bv.entries[mine].off:bv.entries[mine].end]
	}
	out := dst[:0]
	if e != nil && sameLayout(e, limits) {
		out = append(out, e...)
	} else {
		out = append(out, byte(fp), byte(fp>>8), byte(fp>>16), byte(fp>>24), byte(fp>>32), byte(fp>>40), byte(fp>>48), byte(len(limits)))
		for i, l := range limits {
			out = append(out, make([]byte, limitSize)...) // no allocation when dst has room
			w := windowAt(out, i)
			binary.LittleEndian.PutUint32(w, l.windowMs())
			for j := 0; e != nil && j < int(e[7]); j++ {
				if stored := windowAt(e, j); stored.ms() == l.windowMs() {
					copy(w, stored)
					break
				}
			}
		}
	}

	d.Admit = true
	var retryNs int64
	var v verdict
	for i, l := range limits {
		w := windowAt(out, i)
		w.advance(subWindow(now, l.slot()))
		w.check(l, now, &v)
		if !v.admit {
			d.Admit = false
			if v.retryNs > retryNs {
				retryNs = v.retryNs
			}
		}
		resetUnix := ceilSeconds(v.resetNs)
		if i == 0 || v.remaining < d.Remaining || (v.remaining == d.Remaining && resetUnix > d.ResetUnix) {
			d.Limit, d.Remaining, d.ResetUnix = v.limit, v.remaining, resetUnix
		}
	}
	if !d.Admit {
		d.Remaining = 0
		d.RetryAfter = (retryNs - now + 1e9 - 1) / 1e9
		if d.RetryAfter < 1 {
			d.RetryAfter = 1
		}
		return d, nil
	}
	for i := range limits {
		w := windowAt(out, i)
		w.setCount(0, w.count(0)+1)
	}

	// Then the other keys in their order, evicting one if the bucket is full.
	victim := -1
	if mine < 0 && bv.n == Ways {
		victim = pickVictim(old, &bv, now)
		d.Evicted = live(old[bv.entries[victim].off:bv.entries[victim].end], now)
	}
	for i := 0; i < bv.n; i++ {
		if i == mine || i == victim {
			continue
		}
		out = append(out, old[bv.entries[i].off:bv.entries[i].end]...)
	}
	return d, out
}

// pickVictim chooses the entry to give up in a full bucket: one that no longer counts if there
// is one, else the one with the fewest counted requests (a flood of one-off keys loses to keys in
// steady use), the least recently used on a tie.
func pickVictim(old []byte, bv *bucketView, now int64) int {
	for i := bv.n - 1; i >= 0; i-- {
		if !live(old[bv.entries[i].off:bv.entries[i].end], now) {
			return i
		}
	}
	victim, least := bv.n-1, entryTotal(old[bv.entries[bv.n-1].off:bv.entries[bv.n-1].end])
	for i := bv.n - 2; i >= 0; i-- {
		if t := entryTotal(old[bv.entries[i].off:bv.entries[i].end]); t < least {
			victim, least = i, t
		}
	}
	return victim
}

func ceilSeconds(ns int64) int64 { return (ns + 1e9 - 1) / 1e9 }

package proxywasm

import (
	"encoding/binary"
	"iter"
)

// NameSet is a 64-bit filter of header names: every name in the set has its bit, and a name
// outside it may share one, so a caller still compares the names it is given. It lets a walk
// of a header map pass over, at the cost of one test each, the many headers a filter never
// reads.
type NameSet uint64

// NewNameSet is the set of these names (lower case, as header maps hold them); empty names are
// left out.
func NewNameSet(names ...string) NameSet {
	var s NameSet
	for _, n := range names {
		if n != "" {
			s |= 1 << nameBit(uint64(len(n)), n[len(n)-1])
		}
	}
	return s
}

// MayHave reports whether name may be in the set: always when it is, sometimes when it is not.
func (s NameSet) MayHave(name []byte) bool {
	return len(name) > 0 && s>>nameBit(uint64(len(name)), name[len(name)-1])&1 != 0
}

// nameBit hashes a non-empty name by its length and last byte, which keep the names filters
// read apart from the common others.
func nameBit(length uint64, last byte) uint64 { return (length + 3*uint64(last)) & 63 }

// PairsIn yields, in order, the pairs of an encoded header map whose name set.MayHave, as
// AllPairs would yield them, stopping at the end or at the first malformed entry. The headers
// in between are passed over by nextIn, which under wasm is written with WebAssembly's own
// loop instructions (names_wasm.s): in Go's wasm backend every taken branch of a Go loop is a
// jump through the function's dispatch table.
func PairsIn(b []byte, set NameSet) iter.Seq2[[]byte, []byte] {
	return func(yield func(key, value []byte) bool) {
		n, ok := pairCount(b)
		if !ok {
			return
		}
		for i, off := 0, 4+8*n; ; {
			if i, off = nextIn(b, n, i, off, uint64(set)); i >= n {
				return
			}
			kl := int(binary.LittleEndian.Uint32(b[4+8*i:]))
			vl := int(binary.LittleEndian.Uint32(b[8+8*i:]))
			if !yield(b[off:off+kl], b[off+kl+1:off+kl+1+vl]) {
				return
			}
			i, off = i+1, off+kl+1+vl+1
		}
	}
}

// nextInGo is nextIn in Go, and its definition: from pair i, whose key starts at off, the first
// pair whose name set.MayHave, with its key's offset; i == n when there is none or an entry
// runs past the end of b. The length table's n entries must lie inside b.
func nextInGo(b []byte, n, i, off int, set uint64) (next, at int) {
	for ; i < n; i++ {
		kl := uint64(binary.LittleEndian.Uint32(b[4+8*i:]))
		vl := uint64(binary.LittleEndian.Uint32(b[8+8*i:]))
		end := uint64(off) + kl + vl + 2
		if end > uint64(len(b)) {
			return n, off
		}
		if kl > 0 && set>>nameBit(kl, b[uint64(off)+kl-1])&1 != 0 {
			return i, off
		}
		off = int(end)
	}
	return n, off
}

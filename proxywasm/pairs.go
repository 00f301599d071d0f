package proxywasm

import (
	"encoding/binary"
	"iter"
)

// The pairs encoding (proxy-wasm spec, "Serialization"), little-endian:
// u32 N, N × (u32 key_len, u32 value_len), then N × (key, 0x00, value, 0x00).

// AllPairs yields the pairs of an encoded header map in order, stopping at the end or at the
// first malformed entry. Use it as `for k, v := range AllPairs(b)`: the compiler inlines the
// loop, which in Go's wasm backend costs a third of a method call per pair.
func AllPairs(b []byte) iter.Seq2[[]byte, []byte] {
	return func(yield func(key, value []byte) bool) {
		n, ok := pairCount(b)
		if !ok {
			return
		}
		lens, off := 4, 4+8*n
		for range n {
			kl := int(binary.LittleEndian.Uint32(b[lens:]))
			vl := int(binary.LittleEndian.Uint32(b[lens+4:]))
			lens += 8
			end := off + kl + 1 + vl + 1
			if kl < 0 || vl < 0 || end > len(b) || end < off {
				return
			}
			if !yield(b[off:off+kl], b[off+kl+1:off+kl+1+vl]) {
				return
			}
			off = end
		}
	}
}

// pairCount is the number of pairs an encoded map says it holds, and whether its length table
// fits in it.
func pairCount(b []byte) (int, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n := int(binary.LittleEndian.Uint32(b))
	return n, n >= 0 && n <= (len(b)-4)/8
}

// Pairs builds an encoded header map in a reusable buffer.
type Pairs struct {
	kv  [][2]string
	buf []byte
}

// Reset empties the list, keeping its storage.
func (p *Pairs) Reset() { p.kv = p.kv[:0] }

// Add appends one header.
func (p *Pairs) Add(name, value string) { p.kv = append(p.kv, [2]string{name, value}) }

// Len is the number of headers added.
func (p *Pairs) Len() int { return len(p.kv) }

// Encode serialises the list; the result is valid until the next Encode.
func (p *Pairs) Encode() []byte {
	size := 4
	for _, kv := range p.kv {
		size += 8 + len(kv[0]) + len(kv[1]) + 2
	}
	if cap(p.buf) < size {
		p.buf = make([]byte, size)
	}
	b := p.buf[:size]
	binary.LittleEndian.PutUint32(b, uint32(len(p.kv)))
	off := 4
	for _, kv := range p.kv {
		binary.LittleEndian.PutUint32(b[off:], uint32(len(kv[0])))
		binary.LittleEndian.PutUint32(b[off+4:], uint32(len(kv[1])))
		off += 8
	}
	for _, kv := range p.kv {
		off += copy(b[off:], kv[0])
		b[off] = 0
		off++
		off += copy(b[off:], kv[1])
		b[off] = 0
		off++
	}
	return b
}

package proxywasm

import "encoding/binary"

// The pairs encoding (proxy-wasm spec, "Serialization"), little-endian:
// u32 N, N × (u32 key_len, u32 value_len), then N × (key, 0x00, value, 0x00).

// PairIter walks an encoded header map without allocating.
type PairIter struct {
	b       []byte
	n, i    int
	lens    int // offset of the next (key_len, value_len)
	dataOff int // offset of the next key
}

// NewPairIter starts an iteration; an empty or malformed map yields nothing.
func NewPairIter(b []byte) PairIter {
	if len(b) < 4 {
		return PairIter{}
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n < 0 || n > (len(b)-4)/8 {
		return PairIter{}
	}
	return PairIter{b: b, n: n, lens: 4, dataOff: 4 + 8*n}
}

// Next returns the next pair, or ok=false at the end (or at the first malformed entry).
func (it *PairIter) Next() (key, value []byte, ok bool) {
	if it.i >= it.n {
		return nil, nil, false
	}
	kl := int(binary.LittleEndian.Uint32(it.b[it.lens:]))
	vl := int(binary.LittleEndian.Uint32(it.b[it.lens+4:]))
	end := it.dataOff + kl + 1 + vl + 1
	if kl < 0 || vl < 0 || end > len(it.b) || end < it.dataOff {
		it.i = it.n
		return nil, nil, false
	}
	key = it.b[it.dataOff : it.dataOff+kl]
	value = it.b[it.dataOff+kl+1 : it.dataOff+kl+1+vl]
	it.i++
	it.lens += 8
	it.dataOff = end
	return key, value, true
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

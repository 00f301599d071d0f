package filter

import (
	"math"
	"math/bits"
	"strconv"
)

// decimal holds one number's digits at its end, so a response header can point at them with
// no copy: in Go's wasm backend even a short copy is a call.
type decimal [20]byte

// format writes v in decimal at the end of d and returns those digits. The numbers of a
// response (limits, counts, Unix seconds) fit in 32 bits, and 32-bit division by a constant is
// a multiply in Go's wasm backend, where strconv's 64-bit loop costs several times more. The
// digits are written in straight-line code: there, every turn of a loop also costs a jump
// through the function's dispatch table.
func (d *decimal) format(v uint64) []byte {
	if v > math.MaxUint32 {
		return strconv.AppendUint(d[:0], v, 10)
	}
	x := uint32(v)
	d[19], x = byte('0'+x%10), x/10
	d[18], x = byte('0'+x%10), x/10
	d[17], x = byte('0'+x%10), x/10
	d[16], x = byte('0'+x%10), x/10
	d[15], x = byte('0'+x%10), x/10
	d[14], x = byte('0'+x%10), x/10
	d[13], x = byte('0'+x%10), x/10
	d[12], x = byte('0'+x%10), x/10
	d[11], x = byte('0'+x%10), x/10
	d[10] = byte('0' + x)
	return d[len(d)-decimalDigits(uint32(v)):]
}

// decimalDigits counts x's digits without a chain of comparisons (each a taken jump in Go's
// wasm backend): the bit length estimates it, one comparison corrects it.
func decimalDigits(x uint32) int {
	// log10 of the bit length's power of two is at most one short; x|1 because 0 has one digit
	// (and no power of ten above 1 is odd, so the |1 changes nothing else).
	d := (bits.Len32(x|1) * 1233) >> 12
	if x|1 >= pow10[d] {
		d++
	}
	return d
}

var pow10 = [10]uint32{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

// appendUint appends v in decimal.
func appendUint(dst []byte, v uint64) []byte {
	var d decimal
	return append(dst, d.format(v)...)
}

func itoa(v uint64) string { return string(appendUint(nil, v)) }

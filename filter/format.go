package filter

import (
	"math"
	"strconv"
)

// appendUint appends v in decimal. The numbers of a response (limits, counts, Unix seconds)
// fit in 32 bits, and 32-bit division by a constant is a multiply in Go's wasm backend, where
// strconv's 64-bit loop costs several times more. The digits are written in straight-line code:
// there, every turn of a loop also costs a jump through the function's dispatch table.
func appendUint(dst []byte, v uint64) []byte {
	if v > math.MaxUint32 {
		return strconv.AppendUint(dst, v, 10)
	}
	x := uint32(v)
	var b [10]byte
	b[9], x = byte('0'+x%10), x/10
	b[8], x = byte('0'+x%10), x/10
	b[7], x = byte('0'+x%10), x/10
	b[6], x = byte('0'+x%10), x/10
	b[5], x = byte('0'+x%10), x/10
	b[4], x = byte('0'+x%10), x/10
	b[3], x = byte('0'+x%10), x/10
	b[2], x = byte('0'+x%10), x/10
	b[1], x = byte('0'+x%10), x/10
	b[0] = byte('0' + x)
	return append(dst, b[10-decimalDigits(uint32(v)):]...)
}

func decimalDigits(x uint32) int {
	switch {
	case x < 10:
		return 1
	case x < 100:
		return 2
	case x < 1000:
		return 3
	case x < 10000:
		return 4
	case x < 100000:
		return 5
	case x < 1000000:
		return 6
	case x < 10000000:
		return 7
	case x < 100000000:
		return 8
	case x < 1000000000:
		return 9
	}
	return 10
}

func itoa(v uint64) string { return string(appendUint(nil, v)) }

// appendHex appends v in lowercase hexadecimal, without leading zeros.
func appendHex(dst []byte, v uint32) []byte {
	var b [8]byte
	i := len(b)
	for {
		i--
		b[i] = "0123456789abcdef"[v&15]
		v >>= 4
		if v == 0 {
			break
		}
	}
	return append(dst, b[i:]...)
}

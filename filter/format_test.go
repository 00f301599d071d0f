package filter

import (
	"math"
	"strconv"
	"testing"
)

func TestFormatMatchesStrconv(t *testing.T) {
	for _, v := range []uint64{0, 1, 9, 10, 99, 100, 4095, 4096, 999999999, 1000000000, 1767225600,
		math.MaxUint32 - 1, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		if got, want := string(appendUint([]byte("x"), v)), "x"+strconv.FormatUint(v, 10); got != want {
			t.Errorf("appendUint(%d) = %q, want %q", v, got, want)
		}
		if v <= math.MaxUint32 {
			if got, want := string(appendHex([]byte("x"), uint32(v))), "x"+strconv.FormatUint(v, 16); got != want {
				t.Errorf("appendHex(%d) = %q, want %q", v, got, want)
			}
		}
	}
}

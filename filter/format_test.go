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
	}
}

func TestDecimalDigits(t *testing.T) {
	for _, v := range []uint32{0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65535, 65536, 99999, 100000, 999999, 1000000,
		9999999, 10000000, 99999999, 100000000, 999999999, 1000000000, math.MaxUint32} {
		if got, want := decimalDigits(v), len(strconv.FormatUint(uint64(v), 10)); got != want {
			t.Errorf("decimalDigits(%d) = %d, want %d", v, got, want)
		}
	}
	for i := 0; i < 32; i++ { // every bit length, at both ends
		for _, v := range []uint32{1 << i, 1<<(i+1) - 1} {
			if got, want := decimalDigits(v), len(strconv.FormatUint(uint64(v), 10)); got != want {
				t.Errorf("decimalDigits(%d) = %d, want %d", v, got, want)
			}
		}
	}
}

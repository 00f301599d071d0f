// Package pairscheck checks proxywasm.PairsIn against its definition, the pairs of AllPairs
// whose name the set may have, on random header maps, intact and damaged. The proxywasm tests
// run it natively, and inside a VM (testdata/pairsin), where PairsIn passes over headers in
// WebAssembly assembly.
package pairscheck

import (
	"math/rand/v2"
	"strconv"

	"github.com/kojihq/koji-edge/proxywasm"
)

var names = []string{":method", ":path", ":authority", ":scheme", "origin", "x-api-key", "authorization",
	"user-agent", "accept", "content-type", "x-plan", "access-control-request-method",
	"access-control-request-headers", "", "a", "x-request-id", "cookie"}

// Run checks rounds random maps and returns "" when PairsIn agreed with its definition on
// every one, else what differed.
func Run(seed uint64, rounds int) string {
	for _, n := range names {
		if n != "" && !proxywasm.NewNameSet(n).MayHave([]byte(n)) {
			return strconv.Quote(n) + " is not in its own set"
		}
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var p proxywasm.Pairs
	for r := range rounds {
		p.Reset()
		for range rng.IntN(12) {
			name := names[rng.IntN(len(names))]
			if rng.IntN(8) == 0 {
				name = random(rng, 1+rng.IntN(40))
			}
			p.Add(name, random(rng, rng.IntN(30)))
		}
		b := damage(rng, append([]byte(nil), p.Encode()...))
		set := proxywasm.NameSet(rng.Uint64())
		switch rng.IntN(4) {
		case 0:
			set = 0
		case 1:
			set = proxywasm.NewNameSet(names[rng.IntN(len(names))], names[rng.IntN(len(names))])
		}

		var want, got []string
		for k, v := range proxywasm.AllPairs(b) {
			if set.MayHave(k) {
				want = append(want, string(k)+"="+string(v))
			}
		}
		stopAt := rng.IntN(4) // the caller breaking out after a few pairs stops the walk
		for k, v := range proxywasm.PairsIn(b, set) {
			got = append(got, string(k)+"="+string(v))
			if len(got) == stopAt {
				break
			}
		}
		if stopAt > 0 && len(want) > stopAt {
			want = want[:stopAt]
		}
		if len(got) != len(want) {
			return "round " + strconv.Itoa(r) + ": " + strconv.Itoa(len(got)) + " pairs, want " + strconv.Itoa(len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				return "round " + strconv.Itoa(r) + ": pair " + strconv.Itoa(i) + " is " + strconv.Quote(got[i]) + ", want " + strconv.Quote(want[i])
			}
		}
	}
	return ""
}

func random(rng *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

// damage leaves one map in two alone; the others are cut short or get a wrong count or length.
func damage(rng *rand.Rand, b []byte) []byte {
	put := func(off int, v uint32) {
		if off+4 <= len(b) {
			b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		}
	}
	lengths := []uint32{0, 1, 2, 7, 1 << 16, 1<<31 - 1, 1 << 31, 1<<32 - 1, rng.Uint32()}
	switch rng.IntN(8) {
	case 0:
		return b[:rng.IntN(len(b)+1)]
	case 1:
		put(0, lengths[rng.IntN(len(lengths))])
	case 2, 3:
		n := int(b[0]) | int(b[1])<<8
		if n > 0 {
			put(4+8*rng.IntN(n)+4*rng.IntN(2), lengths[rng.IntN(len(lengths))])
		}
	}
	return b
}

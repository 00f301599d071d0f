package proxywasm

import (
	"testing"
)

func TestAllPairsRoundTrip(t *testing.T) {
	var p Pairs
	want := [][2]string{{":method", "GET"}, {"x-api-key", "k"}, {"empty", ""}, {"vary", "Origin"}}
	for _, kv := range want {
		p.Add(kv[0], kv[1])
	}
	enc := append([]byte(nil), p.Encode()...)
	var got [][2]string
	for k, v := range AllPairs(enc) {
		got = append(got, [2]string{string(k), string(v)})
	}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pair %d: got %q, want %q", i, got[i], want[i])
		}
	}
	// Stopping early stops the walk.
	n := 0
	for range AllPairs(enc) {
		n++
		break
	}
	if n != 1 {
		t.Fatalf("break: %d pairs", n)
	}
	// A truncated map yields its intact prefix and nothing past the damage; junk yields nothing.
	n = 0
	for range AllPairs(enc[:len(enc)-3]) {
		n++
	}
	if n != len(want)-1 {
		t.Fatalf("truncated map: %d pairs, want %d", n, len(want)-1)
	}
	for _, junk := range [][]byte{nil, {1}, {255, 255, 255, 255, 0, 0, 0, 0}, {1, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0}} {
		for k := range AllPairs(junk) {
			t.Fatalf("junk %v yielded %q", junk, k)
		}
	}
}

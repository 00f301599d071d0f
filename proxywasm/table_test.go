package proxywasm

import (
	"math/rand"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

type ctxID struct {
	types.DefaultHttpContext
	id uint32
}

// The table agrees with a Go map under random creates and deletes, sequential ids included.
func TestStreamTableMatchesAMap(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var tab streamTable
	ref := map[uint32]bool{}
	next := uint32(2)
	live := []uint32{}
	for step := 0; step < 200000; step++ {
		if len(live) == 0 || rng.Intn(100) < 52 {
			id := next
			next += uint32(1 + rng.Intn(3))
			if rng.Intn(50) == 0 {
				id = uint32(rng.Int31n(1<<20)) + 1 // ids that collide with others' home slots
				if ref[id] {
					continue
				}
			}
			tab.put(id, &ctxID{id: id})
			ref[id] = true
			live = append(live, id)
		} else {
			k := rng.Intn(len(live))
			id := live[k]
			live[k] = live[len(live)-1]
			live = live[:len(live)-1]
			tab.remove(id)
			delete(ref, id)
		}
		if step%997 == 0 {
			for id := range ref {
				c, ok := tab.get(id)
				if !ok || c.(*ctxID).id != id {
					t.Fatalf("step %d: id %d lost", step, id)
				}
			}
			if tab.n != len(ref) {
				t.Fatalf("step %d: %d entries, want %d", step, tab.n, len(ref))
			}
		}
		if probe := next + 1000; !ref[probe] {
			if _, ok := tab.get(probe); ok {
				t.Fatal("found an id never put")
			}
		}
	}
}

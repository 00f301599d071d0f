package proxywasm

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// streamTable maps live HTTP context ids to their contexts: open addressing with linear probing
// and backward-shift deletion. Envoy numbers contexts sequentially per VM, so id&mask spreads
// them without hashing; a Go map costs several times more per create and delete in Wasm.
type streamTable struct {
	slots []streamSlot
	n     int
}

type streamSlot struct {
	id  uint32 // 0: empty (Envoy never gives an HTTP context id 0)
	ctx types.HttpContext
}

func (t *streamTable) get(id uint32) (types.HttpContext, bool) {
	if len(t.slots) == 0 {
		return nil, false
	}
	mask := uint32(len(t.slots) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		switch t.slots[i].id {
		case id:
			return t.slots[i].ctx, true
		case 0:
			return nil, false
		}
	}
}

func (t *streamTable) put(id uint32, ctx types.HttpContext) {
	if id == 0 {
		return
	}
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := uint32(len(t.slots) - 1)
	for i := id & mask; ; i = (i + 1) & mask {
		switch t.slots[i].id {
		case id:
			t.slots[i].ctx = ctx
			return
		case 0:
			t.slots[i] = streamSlot{id, ctx}
			t.n++
			return
		}
	}
}

func (t *streamTable) remove(id uint32) {
	if len(t.slots) == 0 {
		return
	}
	mask := uint32(len(t.slots) - 1)
	i := id & mask
	for t.slots[i].id != id {
		if t.slots[i].id == 0 {
			return
		}
		i = (i + 1) & mask
	}
	// Backward-shift: move later entries of the run into the hole so lookups never stop early.
	for j := (i + 1) & mask; t.slots[j].id != 0; j = (j + 1) & mask {
		home := t.slots[j].id & mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = streamSlot{}
	t.n--
}

func (t *streamTable) grow() {
	old := t.slots
	size := 64
	if len(old) > 0 {
		size = 2 * len(old)
	}
	t.slots = make([]streamSlot, size)
	t.n = 0
	for _, s := range old {
		if s.id != 0 {
			t.put(s.id, s.ctx)
		}
	}
}

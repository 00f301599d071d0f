package proxywasm

// arena holds the buffers the host writes into guest memory (header maps, shared-data values,
// configuration). Callbacks never nest except for proxy_on_memory_allocate, so everything the
// host hands over during one callback is consumed before the next one starts: resetting the
// arena at every callback entry keeps memory flat and the hot path free of heap allocations.
type arena struct {
	buf []byte
	off int
	big [][]byte // allocations that did not fit; kept reachable until the next reset
}

const arenaSize = 64 << 10

var mem = arena{buf: make([]byte, arenaSize)}

// alloc must not call the host: Envoy traps any host call made from proxy_on_memory_allocate.
func (a *arena) alloc(size int) []byte {
	if size <= 0 {
		size = 1
	}
	aligned := (size + 7) &^ 7
	if a.off+aligned <= len(a.buf) {
		b := a.buf[a.off : a.off+size : a.off+size]
		a.off += aligned
		return b
	}
	b := make([]byte, size)
	a.big = append(a.big, b)
	return b
}

func (a *arena) reset() {
	a.off = 0
	if len(a.big) > 0 {
		clear(a.big)
		a.big = a.big[:0]
	}
}

// ReleaseHostBuffers frees the buffers host calls have returned so far. Every ABI callback
// does this on entry; a module's own exports (benchmarks) call it themselves.
func ReleaseHostBuffers() { mem.reset() }

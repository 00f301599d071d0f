//go:build !wasm

package proxywasm

func nextIn(b []byte, n, i, off int, set uint64) (next, at int) { return nextInGo(b, n, i, off, set) }

//go:build wasm

package proxywasm

// nextIn is nextInGo in WebAssembly (names_wasm.s); TestPairsInWasm checks the two agree.
//
//go:noescape
func nextIn(b []byte, n, i, off int, set uint64) (next, at int)

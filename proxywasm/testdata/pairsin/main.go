// Command pairsin runs pairscheck inside a VM, where proxywasm.PairsIn uses its WebAssembly
// assembly (names_wasm.s); proxywasm's TestPairsInWasm calls its export.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/proxywasm"
	"github.com/kojihq/koji-edge/proxywasm/internal/pairscheck"
)

func init() { proxywasm.SetVMContext(&types.DefaultVMContext{}) }

func main() {}

// check runs pairscheck.Run and logs what differed; it returns 0 when nothing did.
//
//go:wasmexport pairs_in_check
func check(seed uint64, rounds uint32) uint32 {
	if msg := pairscheck.Run(seed, int(rounds)); msg != "" {
		proxywasm.Log(proxywasm.LevelError, "pairsin: "+msg)
		return 1
	}
	return 0
}

// Command koji-edge is the Proxy-Wasm module: build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o build/koji-edge.wasm ./cmd/koji-edge
//
// It is a WASI reactor: Envoy runs _initialize (package init, below), then the callbacks.
package main

import (
	"github.com/kojihq/koji-edge/filter"
	"github.com/kojihq/koji-edge/proxywasm"
)

// init runs inside _initialize, where Envoy allows almost no host call: it only stores.
func init() { proxywasm.SetVMContext(filter.NewVMContext()) }

func main() {}

// Command kojistats is koji-edge exactly as cmd/koji-edge builds it, plus one export that
// reports the Go runtime's heap statistics, so benchmarks can count allocations inside the
// guest. It is never shipped.
package main

import (
	"runtime"

	"github.com/kojihq/koji-edge/filter"
	"github.com/kojihq/koji-edge/proxywasm"
)

func init() { proxywasm.SetVMContext(filter.NewVMContext()) }

func main() {}

var ms runtime.MemStats

// kojiMallocs is the number of heap allocations since the VM started.
//
//go:wasmexport koji_bench_mallocs
func kojiMallocs() uint64 {
	runtime.ReadMemStats(&ms)
	return ms.Mallocs
}

// kojiHeapInuse is the bytes of heap spans in use.
//
//go:wasmexport koji_bench_heap_inuse
func kojiHeapInuse() uint64 {
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

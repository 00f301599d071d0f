// Command badalloc makes a host call from proxy_on_memory_allocate, which Envoy traps.
package main

import "unsafe"

//go:wasmimport env proxy_define_metric
func defineMetric(kind uint32, name unsafe.Pointer, size uint32, id unsafe.Pointer) uint32

//go:wasmimport env proxy_get_buffer_bytes
func getBufferBytes(t, start, max uint32, ptr, size unsafe.Pointer) uint32

var keep [][]byte

//go:wasmexport proxy_abi_version_0_2_1
func abi() {}

//go:wasmexport proxy_on_memory_allocate
func alloc(size uint32) unsafe.Pointer {
	var id uint32
	name := "inside_malloc"
	defineMetric(0, unsafe.Pointer(unsafe.StringData(name)), uint32(len(name)), unsafe.Pointer(&id))
	b := make([]byte, size)
	keep = append(keep, b)
	return unsafe.Pointer(&b[0])
}

//go:wasmexport proxy_on_context_create
func contextCreate(id, root uint32) {}

//go:wasmexport proxy_on_vm_start
func vmStart(root, size uint32) uint32 { return 1 }

//go:wasmexport proxy_on_configure
func configure(root, size uint32) uint32 {
	var ptr, n uint32
	getBufferBytes(7, 0, size, unsafe.Pointer(&ptr), unsafe.Pointer(&n))
	return 1
}

func main() {}

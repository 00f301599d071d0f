//go:build wasip1

package proxywasm

import (
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// Each export resets the arena first: the previous callback's host buffers are dead by then.
//
// Only the callbacks koji-edge needs are exported. Envoy makes no VM call for a callback the
// module does not export, so leaving out the body and trailer callbacks saves a VM call per
// body chunk of every request and response.

//go:wasmexport proxy_abi_version_0_2_1
func proxyABIVersion() {}

//go:wasmexport proxy_on_memory_allocate
func proxyOnMemoryAllocate(size uint32) unsafe.Pointer {
	return unsafe.Pointer(&mem.alloc(int(size))[0])
}

//go:wasmexport proxy_on_context_create
func proxyOnContextCreate(id, root uint32) {
	mem.reset()
	disp.onContextCreate(id, root)
}

//go:wasmexport proxy_on_vm_start
func proxyOnVMStart(_ uint32, size uint32) uint32 {
	mem.reset()
	return b2u(disp.onVMStart(size))
}

//go:wasmexport proxy_on_configure
func proxyOnConfigure(root, size uint32) uint32 {
	mem.reset()
	return b2u(disp.onConfigure(root, size))
}

//go:wasmexport proxy_on_request_headers
func proxyOnRequestHeaders(id, n, eos uint32) uint32 {
	mem.reset()
	return uint32(disp.stream("proxy_on_request_headers", id, func(h types.HttpContext) types.Action {
		return h.OnHttpRequestHeaders(int(n), eos != 0)
	}))
}

//go:wasmexport proxy_on_response_headers
func proxyOnResponseHeaders(id, n, eos uint32) uint32 {
	mem.reset()
	return uint32(disp.stream("proxy_on_response_headers", id, func(h types.HttpContext) types.Action {
		return h.OnHttpResponseHeaders(int(n), eos != 0)
	}))
}

//go:wasmexport proxy_on_log
func proxyOnLog(id uint32) {
	mem.reset()
	disp.onLog(id)
}

//go:wasmexport proxy_on_tick
func proxyOnTick(root uint32) {
	mem.reset()
	disp.onTick(root)
}

//go:wasmexport proxy_on_done
func proxyOnDone(id uint32) uint32 {
	mem.reset()
	return b2u(disp.onDone(id))
}

//go:wasmexport proxy_on_delete
func proxyOnDelete(id uint32) {
	mem.reset()
	disp.onDelete(id)
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

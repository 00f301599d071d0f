//go:build wasip1

package proxywasm

import "github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

// koji-edge does not export the body and trailer callbacks (see exports_wasip1.go). A module
// that wants them exports them itself and forwards here:
//
//	//go:wasmexport proxy_on_request_body
//	func onRequestBody(id, size, eos uint32) uint32 { return proxywasm.OnRequestBody(id, size, eos) }

// OnRequestBody dispatches proxy_on_request_body.
func OnRequestBody(id, size, eos uint32) uint32 {
	mem.reset()
	return uint32(disp.stream("proxy_on_request_body", id, func(h types.HttpContext) types.Action {
		return h.OnHttpRequestBody(int(size), eos != 0)
	}))
}

// OnResponseBody dispatches proxy_on_response_body.
func OnResponseBody(id, size, eos uint32) uint32 {
	mem.reset()
	return uint32(disp.stream("proxy_on_response_body", id, func(h types.HttpContext) types.Action {
		return h.OnHttpResponseBody(int(size), eos != 0)
	}))
}

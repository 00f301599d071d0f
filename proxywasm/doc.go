// Package proxywasm is koji-edge's guest-side Proxy-Wasm ABI 0.2.1 binding for the standard Go
// toolchain (GOOS=wasip1, -buildmode=c-shared). The SDK's own binding compiles only under TinyGo;
// this one exports the callbacks with //go:wasmexport, imports the host calls with
// //go:wasmimport and dispatches to contexts that implement the SDK's types interfaces, so plugin
// code reads like any Proxy-Wasm Go plugin.
//
// Three rules of Envoy's host shape it:
//   - no host call may happen during package initialisation or inside proxy_on_memory_allocate
//     (Envoy traps both), so SetVMContext only stores and the allocator never calls out;
//   - every buffer the host writes into guest memory is allocated by proxy_on_memory_allocate and
//     must stay alive until the guest has read it: they come from a per-VM arena that is reset
//     when the next callback starts, so a buffer returned by a host call is valid until the
//     current callback returns (copy what must outlive it);
//   - a trap kills the VM, so every callback recovers and turns a panic into a log line and, on a
//     stream, the context's OnPanic decision.
package proxywasm

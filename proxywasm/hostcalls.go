package proxywasm

import (
	"unsafe"
)

// guestBytes turns a (pointer, size) pair written by the host into a slice. The memory is
// always ours: it came from proxy_on_memory_allocate, so from the arena.
func guestBytes(ptr, size uint32) []byte {
	if ptr == 0 || size == 0 {
		return nil
	}
	// The host hands over a linear-memory address; in wasm that is the Go pointer itself.
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(nil), uintptr(ptr))), size)
}

// Out-parameters of host calls live in package variables: a pointer to a local passed to a
// //go:wasmimport function moves the local to the heap, one allocation per call. A VM runs one
// callback at a time, so one set is enough.
var out struct {
	ptr, size, cas uint32
	id             uint32
	now            uint64
}

// outBytes is the buffer a host call just wrote to out, or nil when it failed.
func outBytes(st Status) []byte {
	if st != StatusOK {
		return nil
	}
	return guestBytes(out.ptr, out.size)
}

func strPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// Log writes one line to the proxy's log at the given level.
func Log(level uint32, msg string) {
	proxy_log(level, strPtr(msg), uint32(len(msg)))
}

// PluginConfiguration returns the plugin configuration. Envoy serves it only during
// proxy_on_configure; the bytes are valid until the callback returns.
func PluginConfiguration(size int) ([]byte, Status) {
	st := proxy_get_buffer_bytes(BufferPluginConfiguration, 0, uint32(size), unsafe.Pointer(&out.ptr), unsafe.Pointer(&out.size))
	return outBytes(st), st
}

// HeaderPairs returns a header map in the Proxy-Wasm pairs encoding (iterate it with
// AllPairs): one host call for the whole map. Valid until the callback returns.
func HeaderPairs(mapType uint32) ([]byte, Status) {
	st := proxy_get_header_map_pairs(mapType, unsafe.Pointer(&out.ptr), unsafe.Pointer(&out.size))
	return outBytes(st), st
}

// Header returns the first value of one header. Valid until the callback returns.
func Header(mapType uint32, name string) ([]byte, Status) {
	st := proxy_get_header_map_value(mapType, strPtr(name), uint32(len(name)), unsafe.Pointer(&out.ptr), unsafe.Pointer(&out.size))
	return outBytes(st), st
}

// AddHeader appends a header value.
func AddHeader(mapType uint32, name string, value []byte) Status {
	return proxy_add_header_map_value(mapType, strPtr(name), uint32(len(name)), bytesPtr(value), uint32(len(value)))
}

// ReplaceHeader sets a header to exactly one value.
func ReplaceHeader(mapType uint32, name string, value []byte) Status {
	return proxy_replace_header_map_value(mapType, strPtr(name), uint32(len(name)), bytesPtr(value), uint32(len(value)))
}

// ReplaceHeaderString is ReplaceHeader for a string value.
func ReplaceHeaderString(mapType uint32, name, value string) Status {
	return proxy_replace_header_map_value(mapType, strPtr(name), uint32(len(name)), strPtr(value), uint32(len(value)))
}

// RemoveHeader removes every value of a header.
func RemoveHeader(mapType uint32, name []byte) Status {
	return proxy_remove_header_map_value(mapType, bytesPtr(name), uint32(len(name)))
}

// SendLocalResponse answers the stream from the filter. headers is in the pairs encoding
// (see AppendPairs). Envoy defers the reply until the callback returns, then runs it through
// the filter's own response callbacks; the callback should return types.ActionPause.
func SendLocalResponse(status uint32, headers []byte, body string) Status {
	return proxy_send_local_response(status, nil, 0, strPtr(body), uint32(len(body)), bytesPtr(headers), uint32(len(headers)), -1)
}

// SharedData reads a shared-data value and its CAS token. Valid until the callback returns.
func SharedData(key []byte) (value []byte, cas uint32, st Status) {
	st = proxy_get_shared_data(bytesPtr(key), uint32(len(key)), unsafe.Pointer(&out.ptr), unsafe.Pointer(&out.size), unsafe.Pointer(&out.cas))
	if st != StatusOK {
		return nil, 0, st
	}
	return guestBytes(out.ptr, out.size), out.cas, st
}

// SetSharedData writes a shared-data value if its CAS token is still cas. In Envoy a cas of 0,
// or a key that does not exist yet, makes the write unconditional.
func SetSharedData(key, value []byte, cas uint32) Status {
	return proxy_set_shared_data(bytesPtr(key), uint32(len(key)), bytesPtr(value), uint32(len(value)), cas)
}

// DefineCounter defines a counter metric and returns its id.
func DefineCounter(name string) (uint32, Status) {
	st := proxy_define_metric(0, strPtr(name), uint32(len(name)), unsafe.Pointer(&out.id))
	return out.id, st
}

// IncrementCounter adds delta (> 0) to a counter.
func IncrementCounter(id uint32, delta int64) Status {
	return proxy_increment_metric(id, delta)
}

// SetTickPeriod asks the host to call the plugin's OnTick every ms milliseconds (0 stops it).
// Envoy runs one timer per worker VM.
func SetTickPeriod(ms uint32) Status { return proxy_set_tick_period_milliseconds(ms) }

// NowNanos is the host's wall clock in Unix nanoseconds, in one host call.
func NowNanos() int64 {
	if clock_time_get(0, 1, unsafe.Pointer(&out.now)) != 0 {
		return 0
	}
	return int64(out.now)
}

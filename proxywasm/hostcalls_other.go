//go:build !wasip1

package proxywasm

import "unsafe"

// Outside a Wasm VM there is no host: these let the packages build and vet natively. The plugin
// is exercised as a real .wasm in the repo's host (package host) and under proxytest.

func proxy_log(uint32, unsafe.Pointer, uint32) Status { return StatusUnimplemented }
func proxy_get_buffer_bytes(uint32, uint32, uint32, unsafe.Pointer, unsafe.Pointer) Status {
	return StatusUnimplemented
}
func proxy_get_header_map_pairs(uint32, unsafe.Pointer, unsafe.Pointer) Status {
	return StatusUnimplemented
}
func proxy_get_header_map_value(uint32, unsafe.Pointer, uint32, unsafe.Pointer, unsafe.Pointer) Status {
	return StatusUnimplemented
}
func proxy_add_header_map_value(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32) Status {
	return StatusUnimplemented
}
func proxy_replace_header_map_value(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32) Status {
	return StatusUnimplemented
}
func proxy_remove_header_map_value(uint32, unsafe.Pointer, uint32) Status {
	return StatusUnimplemented
}
func proxy_send_local_response(uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, unsafe.Pointer, uint32, int32) Status {
	return StatusUnimplemented
}
func proxy_get_shared_data(unsafe.Pointer, uint32, unsafe.Pointer, unsafe.Pointer, unsafe.Pointer) Status {
	return StatusUnimplemented
}
func proxy_set_shared_data(unsafe.Pointer, uint32, unsafe.Pointer, uint32, uint32) Status {
	return StatusUnimplemented
}
func proxy_define_metric(uint32, unsafe.Pointer, uint32, unsafe.Pointer) Status {
	return StatusUnimplemented
}
func proxy_set_tick_period_milliseconds(uint32) Status     { return StatusUnimplemented }
func proxy_increment_metric(uint32, int64) Status          { return StatusUnimplemented }
func clock_time_get(uint32, uint64, unsafe.Pointer) uint32 { return 52 }

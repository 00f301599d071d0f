//go:build wasip1

package proxywasm

import "unsafe"

// The host calls koji-edge uses; every one is in Envoy's import list (and in proxytest's).
// Pointers are 32-bit guest addresses; sizes are u32.

//go:wasmimport env proxy_log
func proxy_log(level uint32, msg unsafe.Pointer, size uint32) Status

//go:wasmimport env proxy_get_buffer_bytes
func proxy_get_buffer_bytes(bt uint32, start, max uint32, ptr unsafe.Pointer, size unsafe.Pointer) Status

//go:wasmimport env proxy_get_header_map_pairs
func proxy_get_header_map_pairs(mt uint32, ptr unsafe.Pointer, size unsafe.Pointer) Status

//go:wasmimport env proxy_get_header_map_value
func proxy_get_header_map_value(mt uint32, key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen unsafe.Pointer) Status

//go:wasmimport env proxy_add_header_map_value
func proxy_add_header_map_value(mt uint32, key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32) Status

//go:wasmimport env proxy_replace_header_map_value
func proxy_replace_header_map_value(mt uint32, key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32) Status

//go:wasmimport env proxy_remove_header_map_value
func proxy_remove_header_map_value(mt uint32, key unsafe.Pointer, keyLen uint32) Status

//go:wasmimport env proxy_send_local_response
func proxy_send_local_response(status uint32, details unsafe.Pointer, detailsLen uint32, body unsafe.Pointer, bodyLen uint32, headers unsafe.Pointer, headersLen uint32, grpcStatus int32) Status

//go:wasmimport env proxy_get_shared_data
func proxy_get_shared_data(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen unsafe.Pointer, cas unsafe.Pointer) Status

//go:wasmimport env proxy_set_shared_data
func proxy_set_shared_data(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32, cas uint32) Status

//go:wasmimport env proxy_define_metric
func proxy_define_metric(kind uint32, name unsafe.Pointer, nameLen uint32, id unsafe.Pointer) Status

//go:wasmimport env proxy_set_tick_period_milliseconds
func proxy_set_tick_period_milliseconds(ms uint32) Status

//go:wasmimport env proxy_increment_metric
func proxy_increment_metric(id uint32, delta int64) Status

// The clock comes from WASI: Envoy serves clock_time_get(realtime) from the same source as
// proxy_get_current_time_nanoseconds, and the SDK's emulator has only the former.
//
//go:wasmimport wasi_snapshot_preview1 clock_time_get
func clock_time_get(id uint32, precision uint64, out unsafe.Pointer) uint32

package host

import (
	"time"

	"github.com/tetratelabs/wazero/api"
)

// The env functions of ABI 0.2.1 (cpp-host FOR_ALL_HOST_FUNCTIONS plus continue_stream,
// close_stream, get_log_level, and Envoy's extras). Those koji-edge does not use answer as
// Envoy does when nothing is configured for them.
var envFunctions = []importFn{
	{"proxy_log", sig(3), sig(1), envLog},
	{"proxy_get_status", sig(3), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_set_property", sig(4), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_get_property", sig(4), sig(1), envGetProperty},
	{"proxy_send_local_response", sig(8), sig(1), envSendLocalResponse},
	{"proxy_get_shared_data", sig(5), sig(1), envGetSharedData},
	{"proxy_set_shared_data", sig(5), sig(1), envSetSharedData},
	{"proxy_register_shared_queue", sig(3), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusUnimplemented) }},
	{"proxy_resolve_shared_queue", sig(5), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_dequeue_shared_queue", sig(3), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_enqueue_shared_queue", sig(3), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_get_header_map_value", sig(5), sig(1), envGetHeader},
	{"proxy_add_header_map_value", sig(5), sig(1), envAddHeader},
	{"proxy_replace_header_map_value", sig(5), sig(1), envReplaceHeader},
	{"proxy_remove_header_map_value", sig(3), sig(1), envRemoveHeader},
	{"proxy_get_header_map_pairs", sig(3), sig(1), envGetHeaderPairs},
	{"proxy_set_header_map_pairs", sig(3), sig(1), envSetHeaderPairs},
	{"proxy_get_header_map_size", sig(2), sig(1), envGetHeaderSize},
	{"proxy_get_buffer_status", sig(3), sig(1), envGetBufferStatus},
	{"proxy_get_buffer_bytes", sig(5), sig(1), envGetBufferBytes},
	{"proxy_set_buffer_bytes", sig(5), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusUnimplemented) }},
	{"proxy_http_call", sig(10), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusBadArgument) }},
	{"proxy_grpc_call", sig(12), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusBadArgument) }},
	{"proxy_grpc_stream", sig(9), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusBadArgument) }},
	{"proxy_grpc_close", sig(1), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_grpc_cancel", sig(1), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_grpc_send", sig(4), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_set_tick_period_milliseconds", sig(1), sig(1), envSetTickPeriod},
	{"proxy_get_current_time_nanoseconds", sig(1), sig(1), envGetTime},
	{"proxy_define_metric", sig(4), sig(1), envDefineMetric},
	{"proxy_increment_metric", []api.ValueType{i32, i64}, sig(1), envIncrementMetric},
	{"proxy_record_metric", []api.ValueType{i32, i64}, sig(1), envRecordMetric},
	{"proxy_get_metric", sig(2), sig(1), envGetMetric},
	{"proxy_set_effective_context", sig(1), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusOK) }},
	{"proxy_done", nil, sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusOK) }},
	{"proxy_call_foreign_function", sig(6), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusNotFound) }},
	{"proxy_continue_stream", sig(1), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusOK) }},
	{"proxy_close_stream", sig(1), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusOK) }},
	{"proxy_get_log_level", sig(1), sig(1), func(vm *VM, s []uint64) {
		vm.mem.WriteUint32Le(u32(s[0]), uint32(LevelInfo))
		s[0] = uint64(StatusOK)
	}},
	{"pthread_equal", sig(2), sig(1), func(vm *VM, s []uint64) { s[0] = b2u(s[0] == s[1]) }},
	{"emscripten_notify_memory_growth", sig(1), nil, func(vm *VM, s []uint64) {}},
	{"envoy_resolve_dns", sig(3), sig(1), func(vm *VM, s []uint64) { s[0] = uint64(StatusBadArgument) }},
}

func b2u(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

func (vm *VM) read(p, n uint32) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	return vm.mem.Read(p, n)
}

func envLog(vm *VM, s []uint64) {
	msg, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	vm.h.log(Level(u32(s[0])), vm.Name, string(msg))
	s[0] = uint64(StatusOK)
}

func envGetProperty(vm *VM, s []uint64) {
	path, ok := vm.read(u32(s[0]), u32(s[1]))
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	var v string
	switch string(path) {
	case "plugin_name":
		v = vm.h.opt.PluginName
	case "plugin_root_id":
		v = vm.h.opt.RootID
	case "plugin_vm_id":
		v = vm.h.opt.VMID
	default:
		s[0] = uint64(StatusNotFound)
		return
	}
	s[0] = uint64(vm.copyOut([]byte(v), u32(s[2]), u32(s[3])))
}

// headerMap returns the map a call may touch now, nil when Envoy has none (BadArgument).
func (vm *VM) headerMap(t uint32, write bool) *HeaderMap {
	st := vm.cur
	if st == nil {
		return nil
	}
	switch t {
	case 0:
		if st.reqOpen || (st.logging && !write) {
			return st.req
		}
	case 2:
		if st.respOpen || (st.logging && !write) {
			return st.resp
		}
	}
	return nil
}

func envGetHeader(vm *VM, s []uint64) {
	m := vm.headerMap(u32(s[0]), false)
	if m == nil {
		s[0] = uint64(StatusBadArgument)
		return
	}
	key, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	v, found := m.Get(string(key))
	if !found {
		s[0] = uint64(StatusNotFound)
		return
	}
	s[0] = uint64(vm.copyOut([]byte(v), u32(s[3]), u32(s[4])))
}

func (vm *VM) headerWrite(s []uint64, withValue bool, apply func(m *HeaderMap, k, v string)) {
	m := vm.headerMap(u32(s[0]), true)
	if m == nil {
		s[0] = uint64(StatusBadArgument)
		return
	}
	key, ok := vm.read(u32(s[1]), u32(s[2]))
	var val []byte
	if withValue && ok {
		val, ok = vm.read(u32(s[3]), u32(s[4]))
	}
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	apply(m, string(key), string(val))
	s[0] = uint64(StatusOK)
}

func envAddHeader(vm *VM, s []uint64) {
	vm.headerWrite(s, true, func(m *HeaderMap, k, v string) { m.Add(k, v) })
}

func envReplaceHeader(vm *VM, s []uint64) {
	vm.headerWrite(s, true, func(m *HeaderMap, k, v string) { m.Replace(k, v) })
}

func envRemoveHeader(vm *VM, s []uint64) {
	vm.headerWrite(s, false, func(m *HeaderMap, k, _ string) { m.Remove(k) })
}

func envGetHeaderPairs(vm *VM, s []uint64) {
	m := vm.headerMap(u32(s[0]), false)
	if m == nil || m.Len() == 0 { // Envoy: a missing map reads as empty
		s[0] = uint64(vm.copyOut(nil, u32(s[1]), u32(s[2])))
		return
	}
	s[0] = uint64(vm.copyOut(encodePairs(m.kv), u32(s[1]), u32(s[2])))
}

func envSetHeaderPairs(vm *VM, s []uint64) {
	m := vm.headerMap(u32(s[0]), true)
	if m == nil {
		s[0] = uint64(StatusBadArgument)
		return
	}
	b, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	kv, _ := decodePairs(b)
	m.setPairs(kv)
	s[0] = uint64(StatusOK)
}

func envGetHeaderSize(vm *VM, s []uint64) {
	m := vm.headerMap(u32(s[0]), false)
	if m == nil {
		s[0] = uint64(StatusBadArgument)
		return
	}
	vm.mem.WriteUint32Le(u32(s[1]), uint32(m.byteSize()))
	s[0] = uint64(StatusOK)
}

// buffer returns the bytes of a buffer type as Envoy serves them now.
func (vm *VM) buffer(t uint32) ([]byte, Status) {
	switch t {
	case 0, 1:
		if vm.cur != nil && vm.cur.bodyOpen == int(t) {
			return vm.cur.body, StatusOK
		}
		return nil, StatusNotFound
	case 6:
		return nil, StatusOK
	case 7:
		if vm.configuring == nil {
			return nil, StatusNotFound
		}
		return vm.configuring, StatusOK
	case 2, 3, 4, 5, 8:
		return nil, StatusNotFound
	}
	return nil, StatusBadArgument
}

func envGetBufferStatus(vm *VM, s []uint64) {
	b, st := vm.buffer(u32(s[0]))
	if st == StatusOK {
		vm.mem.WriteUint32Le(u32(s[1]), uint32(len(b)))
		vm.mem.WriteUint32Le(u32(s[2]), 0)
	}
	s[0] = uint64(st)
}

func envGetBufferBytes(vm *VM, s []uint64) {
	b, st := vm.buffer(u32(s[0]))
	if st != StatusOK {
		s[0] = uint64(st)
		return
	}
	start, n := int(u32(s[1])), int(u32(s[2]))
	if start > len(b) {
		start = len(b)
	}
	if n > len(b)-start {
		n = len(b) - start
	}
	s[0] = uint64(vm.copyOut(b[start:start+n], u32(s[3]), u32(s[4])))
}

func envSendLocalResponse(vm *VM, s []uint64) {
	st := vm.cur
	if st == nil { // no stream (root context): Envoy silently does nothing
		s[0] = uint64(StatusOK)
		return
	}
	body, ok1 := vm.read(u32(s[3]), u32(s[4]))
	hdr, ok2 := vm.read(u32(s[5]), u32(s[6]))
	if !ok1 || !ok2 {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	headers, _ := decodePairs(hdr)
	st.localReplies++
	if st.local == nil {
		st.local = &localReply{status: int(u32(s[0])), headers: headers, body: append([]byte(nil), body...), direct: st.respOpen}
	}
	s[0] = uint64(StatusOK)
}

func envGetSharedData(vm *VM, s []uint64) {
	key, ok := vm.read(u32(s[0]), u32(s[1]))
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	var value []byte
	var cas uint32
	st := vm.h.Store.get(vm.h.opt.VMID, key, func(v []byte, c uint32) {
		value = append(vm.scratch[:0], v...)
		vm.scratch = value
		cas = c
	})
	if st != StatusOK {
		s[0] = uint64(st)
		return
	}
	if r := vm.copyOut(value, u32(s[2]), u32(s[3])); r != StatusOK {
		s[0] = uint64(r)
		return
	}
	vm.mem.WriteUint32Le(u32(s[4]), cas)
	s[0] = uint64(StatusOK)
}

func envSetSharedData(vm *VM, s []uint64) {
	key, ok1 := vm.read(u32(s[0]), u32(s[1]))
	val, ok2 := vm.read(u32(s[2]), u32(s[3]))
	if !ok1 || !ok2 {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	s[0] = uint64(vm.h.Store.Set(vm.h.opt.VMID, key, val, u32(s[4])))
}

// envSetTickPeriod arms (or, with 0, stops) the VM's timer, which calls proxy_on_tick every
// period of the host's clock (see Host.runTimers).
func envSetTickPeriod(vm *VM, s []uint64) {
	vm.tickPeriod = time.Duration(u32(s[0])) * time.Millisecond
	vm.nextTick = vm.h.clock.Now().Add(vm.tickPeriod)
	s[0] = uint64(StatusOK)
}

func envGetTime(vm *VM, s []uint64) {
	vm.mem.WriteUint64Le(u32(s[0]), uint64(vm.h.clock.Now().UnixNano()))
	s[0] = uint64(StatusOK)
}

func envDefineMetric(vm *VM, s []uint64) {
	kind := u32(s[0])
	if kind > 2 {
		s[0] = uint64(StatusBadArgument)
		return
	}
	name, ok := vm.read(u32(s[1]), u32(s[2]))
	if !ok {
		s[0] = uint64(StatusInvalidMemoryAccess)
		return
	}
	// Envoy: ids per VM, a new one per define, type in the low two bits (4, 8, … for counters).
	vm.nextMetric[kind]++
	id := vm.nextMetric[kind]<<2 | kind
	vm.metricIDs[id] = vm.h.Metrics.define(MetricType(kind), string(name))
	vm.mem.WriteUint32Le(u32(s[3]), id)
	s[0] = uint64(StatusOK)
}

func envIncrementMetric(vm *VM, s []uint64) {
	m, ok := vm.metricIDs[u32(s[0])]
	if !ok {
		s[0] = uint64(StatusNotFound)
		return
	}
	s[0] = uint64(vm.h.Metrics.add(m, int64(s[1])))
}

func envRecordMetric(vm *VM, s []uint64) {
	m, ok := vm.metricIDs[u32(s[0])]
	if !ok {
		s[0] = uint64(StatusNotFound)
		return
	}
	s[0] = uint64(vm.h.Metrics.record(m, s[1]))
}

func envGetMetric(vm *VM, s []uint64) {
	m, ok := vm.metricIDs[u32(s[0])]
	if !ok {
		s[0] = uint64(StatusNotFound)
		return
	}
	v, st := vm.h.Metrics.get(m)
	if st == StatusOK {
		vm.mem.WriteUint64Le(u32(s[1]), v)
	}
	s[0] = uint64(st)
}

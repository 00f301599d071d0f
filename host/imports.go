package host

import (
	"context"
	"crypto/rand"
	"strings"
	"time"

	"github.com/tetratelabs/wazero/api"
)

const (
	i32 = api.ValueTypeI32
	i64 = api.ValueTypeI64
)

func sig(n int, t ...api.ValueType) []api.ValueType {
	out := make([]api.ValueType, 0, n+len(t))
	for i := 0; i < n; i++ {
		out = append(out, i32)
	}
	return append(out, t...)
}

type importFn struct {
	name            string
	params, results []api.ValueType
	fn              func(vm *VM, s []uint64)
}

func u32(v uint64) uint32 { return uint32(v) }

// instantiateImports provides exactly what Envoy 1.33-1.38 provide: the 18 WASI functions of
// cpp-host c4d7bb0 under both module names, and the env functions of ABI 0.2.1. Any other
// import fails instantiation, as it fails to load in Envoy.
func (vm *VM) instantiateImports() error {
	for _, module := range []string{"wasi_snapshot_preview1", "wasi_unstable"} {
		if err := vm.export(module, wasiFunctions); err != nil {
			return err
		}
	}
	return vm.export("env", envFunctions)
}

func (vm *VM) export(module string, fns []importFn) error {
	b := vm.rt.NewHostModuleBuilder(module)
	for _, f := range fns {
		f := f
		init, alloc := initAllowed[f.name], allocAllowed[f.name]
		if f.name == "proxy_on_memory_allocate" {
			continue
		}
		b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(func(_ context.Context, _ api.Module, stack []uint64) {
			vm.HostCalls.Add(1)
			switch vm.phase {
			case phaseInitializing:
				if !init {
					panic(errRestricted)
				}
			case phaseAllocating:
				if !alloc {
					panic(errRestricted)
				}
			}
			f.fn(vm, stack)
		}), f.params, f.results).Export(f.name)
	}
	_, err := b.Instantiate(vm.ctx)
	return err
}

// --- WASI (cpp-host c4d7bb0 src/exports.cc) -------------------------------------------------

const (
	errnoSuccess = 0
	errnoBadf    = 8
	errnoInval   = 28
	errnoNoent   = 44
	errnoNosys   = 52
	errnoNotsup  = 58
)

var wasiFunctions = []importFn{
	{"fd_write", sig(4), sig(1), wasiFdWrite},
	{"fd_read", sig(4), sig(1), func(vm *VM, s []uint64) { s[0] = errnoNosys }},
	{"fd_seek", []api.ValueType{i32, i64, i32, i32}, sig(1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"fd_close", sig(1), sig(1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"fd_fdstat_get", sig(2), sig(1), wasiFdstatGet},
	{"fd_fdstat_set_flags", sig(2), sig(1), func(vm *VM, s []uint64) { s[0] = errnoNosys }},
	{"environ_get", sig(2), sig(1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"environ_sizes_get", sig(2), sig(1), wasiZeroSizes},
	{"args_get", sig(2), sig(1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	{"args_sizes_get", sig(2), sig(1), wasiZeroSizes},
	{"clock_time_get", []api.ValueType{i32, i64, i32}, sig(1), wasiClockTimeGet},
	{"random_get", sig(2), sig(1), wasiRandomGet},
	{"sched_yield", nil, sig(1), func(vm *VM, s []uint64) { s[0] = errnoSuccess }},
	// Envoy 1.33-1.38 answer ENOSYS without writing nevents; a Go runtime that needs it dies.
	{"poll_oneoff", sig(4), sig(1), func(vm *VM, s []uint64) { vm.h.PollOneoffCalls.Add(1); s[0] = errnoNosys }},
	{"proc_exit", sig(1), nil, func(vm *VM, s []uint64) { vm.h.logf(LevelError, vm.Name, "wasi_unstable proc_exit(%d)", u32(s[0])) }},
	{"path_open", []api.ValueType{i32, i32, i32, i32, i32, i64, i64, i32, i32}, sig(1), func(vm *VM, s []uint64) { s[0] = errnoNoent }},
	{"fd_prestat_get", sig(2), sig(1), func(vm *VM, s []uint64) { s[0] = errnoBadf }},
	{"fd_prestat_dir_name", sig(3), sig(1), func(vm *VM, s []uint64) { s[0] = errnoNosys }},
}

func wasiFdWrite(vm *VM, s []uint64) {
	fd, iovs, n, nwritten := u32(s[0]), u32(s[1]), u32(s[2]), u32(s[3])
	if fd != 1 && fd != 2 {
		s[0] = errnoBadf
		return
	}
	var sb strings.Builder
	for i := uint32(0); i < n; i++ {
		p, ok1 := vm.mem.ReadUint32Le(iovs + 8*i)
		l, ok2 := vm.mem.ReadUint32Le(iovs + 8*i + 4)
		b, ok3 := vm.mem.Read(p, l)
		if !ok1 || !ok2 || !ok3 {
			s[0] = 21 // EFAULT
			return
		}
		sb.Write(b)
	}
	msg := strings.TrimSuffix(sb.String(), "\n")
	level := LevelInfo
	if fd == 2 {
		level = LevelError
	}
	vm.h.log(level, vm.Name, msg)
	vm.mem.WriteUint32Le(nwritten, uint32(sb.Len()))
	s[0] = errnoSuccess
}

func wasiFdstatGet(vm *VM, s []uint64) {
	fd, p := u32(s[0]), u32(s[1])
	if fd != 1 && fd != 2 {
		s[0] = errnoBadf
		return
	}
	// filetype 0, flags 0 (not non-blocking: the Go runtime then never polls stdio),
	// rights_base FD_WRITE (64), rights_inheriting 0.
	vm.mem.WriteUint64Le(p, 0)
	vm.mem.WriteUint64Le(p+8, 64)
	vm.mem.WriteUint64Le(p+16, 0)
	s[0] = errnoSuccess
}

func wasiZeroSizes(vm *VM, s []uint64) {
	vm.mem.WriteUint32Le(u32(s[0]), 0)
	vm.mem.WriteUint32Le(u32(s[1]), 0)
	s[0] = errnoSuccess
}

func wasiClockTimeGet(vm *VM, s []uint64) {
	var t uint64
	switch u32(s[0]) {
	case 0:
		t = uint64(vm.h.clock.Now().UnixNano())
	case 1:
		t = uint64(time.Since(vm.h.started))
	default:
		s[0] = errnoNotsup
		return
	}
	vm.mem.WriteUint64Le(u32(s[2]), t)
	s[0] = errnoSuccess
}

func wasiRandomGet(vm *VM, s []uint64) {
	p, n := u32(s[0]), u32(s[1])
	if n > 65536 {
		s[0] = errnoInval
		return
	}
	if n > 0 {
		b := make([]byte, n)
		rand.Read(b)
		vm.mem.Write(p, b)
	}
	s[0] = errnoSuccess
}

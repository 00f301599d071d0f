package host

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// phase is what the VM is doing, which decides the host calls it may make: Envoy traps any
// call outside an allow-list during _initialize and during proxy_on_memory_allocate.
type phase int

const (
	phaseRunning phase = iota
	phaseInitializing
	phaseAllocating
)

// errRestricted is the trap Envoy raises ("restricted_callback").
var errRestricted = errors.New("restricted_callback")

// initAllowed and allocAllowed are cpp-host c4d7bb0's allow-lists (envoy-host.md §1.5).
var initAllowed = map[string]bool{
	"proxy_log": true, "fd_write": true, "args_sizes_get": true, "args_get": true,
	"environ_sizes_get": true, "environ_get": true, "fd_prestat_get": true, "fd_prestat_dir_name": true,
	"clock_time_get": true, "random_get": true, "fd_fdstat_get": true, "fd_fdstat_set_flags": true,
}

var allocAllowed = map[string]bool{"proxy_log": true, "fd_write": true, "clock_time_get": true}

// VM is one Wasm VM with its root context, as Envoy keeps one per worker thread. It runs one
// guest call at a time.
type VM struct {
	Name string
	h    *Host
	mu   sync.Mutex

	rt  wazero.Runtime
	mod api.Module
	mem api.Memory
	fn  guestFuncs
	ctx context.Context

	phase       phase
	configuring []byte // plugin configuration, readable only during proxy_on_configure
	cur         *stream
	nextID      uint32
	metricIDs   map[uint32]*metric
	nextMetric  [3]uint32
	stack       []uint64
	scratch     []byte
	failed      error
	// The root context's timer (proxy_set_tick_period_milliseconds); 0 = not armed.
	tickPeriod time.Duration
	nextTick   time.Time
	shutDown   bool // the timer goroutine may still hold a VM that was replaced

	// HostCalls counts every import the guest called (WASI included) since the VM started.
	HostCalls atomic.Uint64
}

type guestFuncs struct {
	malloc, contextCreate, vmStart, configure, requestHeaders, requestBody, requestTrailers,
	responseHeaders, responseBody, responseTrailers, log, done, delete, tick api.Function
}

const rootID = 1

func (h *Host) newVM(name string) (*VM, error) {
	vm := &VM{Name: name, h: h, nextID: rootID + 1, metricIDs: map[uint32]*metric{}, stack: make([]uint64, 8)}
	vm.ctx = context.Background()
	if h.opt.Listeners != nil {
		vm.ctx = experimental.WithFunctionListenerFactory(vm.ctx, h.opt.Listeners)
	}
	cfg := wazero.NewRuntimeConfig().WithCompilationCache(h.cache).WithMemoryLimitPages(16384).WithCloseOnContextDone(false)
	vm.rt = wazero.NewRuntimeWithConfig(vm.ctx, cfg)
	if err := vm.instantiateImports(); err != nil {
		vm.rt.Close(vm.ctx)
		return nil, err
	}
	compiled, err := vm.rt.CompileModule(vm.ctx, h.wasm)
	if err != nil {
		vm.rt.Close(vm.ctx)
		return nil, fmt.Errorf("compile: %w", err)
	}
	if err := checkExports(compiled); err != nil {
		vm.rt.Close(vm.ctx)
		return nil, err
	}
	mod, err := vm.rt.InstantiateModule(vm.ctx, compiled, wazero.NewModuleConfig().WithName(name).WithStartFunctions())
	if err != nil {
		vm.rt.Close(vm.ctx)
		// wazero names the missing import; Envoy says "Failed to load Wasm module due to a missing import".
		return nil, fmt.Errorf("load: %w", err)
	}
	vm.mod, vm.mem = mod, mod.Memory()
	e := mod.ExportedFunction
	vm.fn = guestFuncs{
		malloc: e("proxy_on_memory_allocate"), contextCreate: e("proxy_on_context_create"),
		vmStart: e("proxy_on_vm_start"), configure: e("proxy_on_configure"),
		requestHeaders: e("proxy_on_request_headers"), requestBody: e("proxy_on_request_body"),
		requestTrailers: e("proxy_on_request_trailers"), responseHeaders: e("proxy_on_response_headers"),
		responseBody: e("proxy_on_response_body"), responseTrailers: e("proxy_on_response_trailers"),
		log: e("proxy_on_log"), done: e("proxy_on_done"), delete: e("proxy_on_delete"), tick: e("proxy_on_tick"),
	}
	if vm.fn.malloc == nil {
		if vm.fn.malloc = e("malloc"); vm.fn.malloc == nil {
			vm.Close()
			return nil, errors.New("Wasm module is missing malloc function.")
		}
	}
	// Reactor: _initialize, then main if exported. Command: _start.
	vm.phase = phaseInitializing
	if init := e("_initialize"); init != nil {
		_, err = init.Call(vm.ctx)
		if err == nil {
			if m := e("main"); m != nil {
				_, err = m.Call(vm.ctx, 0, 0)
			}
		}
	} else if start := e("_start"); start != nil {
		_, err = start.Call(vm.ctx)
	}
	vm.phase = phaseRunning
	if err != nil {
		vm.Close()
		return nil, fmt.Errorf("_initialize failed: %w", err)
	}
	return vm, nil
}

// checkExports applies Envoy's load-time checks on exports.
func checkExports(c wazero.CompiledModule) error {
	exports := c.ExportedFunctions()
	for _, abi := range []string{"proxy_abi_version_0_1_0", "proxy_abi_version_0_2_0", "proxy_abi_version_0_2_1"} {
		if _, ok := exports[abi]; ok {
			return nil
		}
	}
	return errors.New("Missing or unknown Proxy-Wasm ABI version")
}

// start runs the plugin's start sequence: context create, vm start, configure.
func (vm *VM) start() (bool, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if _, err := vm.call(vm.fn.contextCreate, rootID, 0); err != nil {
		return false, err
	}
	ok, err := vm.call(vm.fn.vmStart, rootID, 0)
	if err != nil || ok == 0 {
		return false, err
	}
	vm.configuring = vm.h.opt.Configuration
	defer func() { vm.configuring = nil }()
	ok, err = vm.call(vm.fn.configure, rootID, uint64(len(vm.h.opt.Configuration)))
	return ok != 0, err
}

// call runs one guest export; a trap fails the VM for good, as in Envoy.
func (vm *VM) call(f api.Function, args ...uint64) (uint64, error) {
	if vm.failed != nil {
		return 0, vm.failed
	}
	if f == nil {
		return 0, nil
	}
	stack := vm.stack[:max(len(args), 1)]
	copy(stack, args)
	if err := f.CallWithStack(vm.ctx, stack); err != nil {
		vm.failed = fmt.Errorf("%s: %w", vm.Name, err)
		vm.h.trapped.Add(1)
		vm.h.logf(LevelCritical, vm.Name, "wasm trap: %v", err)
		return 0, vm.failed
	}
	if len(f.Definition().ResultTypes()) == 0 {
		return 0, nil
	}
	return stack[0], nil
}

// alloc asks the guest for memory, under the allocation allow-list.
func (vm *VM) alloc(size int) (uint32, error) {
	prev := vm.phase
	vm.phase = phaseAllocating
	defer func() { vm.phase = prev }()
	stack := vm.stack[:1]
	stack[0] = uint64(size)
	if err := vm.fn.malloc.CallWithStack(vm.ctx, stack); err != nil {
		return 0, err
	}
	return uint32(stack[0]), nil
}

// copyOut allocates guest memory for b and writes its pointer and size to the out
// parameters, as cpp-host's copyToPointerSize: an empty value is ptr 0, size 0, no malloc.
func (vm *VM) copyOut(b []byte, ptrOut, sizeOut uint32) Status {
	if len(b) == 0 {
		if !vm.mem.WriteUint32Le(ptrOut, 0) || !vm.mem.WriteUint32Le(sizeOut, 0) {
			return StatusInvalidMemoryAccess
		}
		return StatusOK
	}
	p, err := vm.alloc(len(b))
	if err != nil {
		panic(err) // a trap inside the allocator is a trap of the host call
	}
	if p == 0 || !vm.mem.Write(p, b) || !vm.mem.WriteUint32Le(ptrOut, p) || !vm.mem.WriteUint32Le(sizeOut, uint32(len(b))) {
		return StatusInvalidMemoryAccess
	}
	return StatusOK
}

// tickIfDue calls proxy_on_tick when the timer is armed and its period has passed by now (or
// always, with force), then re-arms it from now, as Envoy's timer does.
func (vm *VM) tickIfDue(now time.Time, force bool) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.tickPeriod <= 0 || vm.failed != nil || vm.shutDown || (!force && now.Before(vm.nextTick)) {
		return
	}
	vm.nextTick = now.Add(vm.tickPeriod)
	vm.call(vm.fn.tick, rootID)
}

// shutdown ends the plugin as Envoy does when a configuration update or removal drains it
// (cpp-host WasmBase::startShutdown): proxy_on_done on the root context, then proxy_on_delete
// if it answered done; a VM that trapped gets no call. Then the VM is released.
func (vm *VM) shutdown() {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.failed == nil && vm.mod != nil && !vm.shutDown {
		if done, err := vm.call(vm.fn.done, rootID); err == nil && done != 0 {
			vm.call(vm.fn.delete, rootID)
		}
	}
	vm.shutDown = true
	vm.Close()
}

// Close releases the VM.
func (vm *VM) Close() {
	if vm.rt != nil {
		vm.rt.Close(vm.ctx)
	}
}

// MemoryBytes is the size of the VM's linear memory.
func (vm *VM) MemoryBytes() uint32 {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	if vm.mem == nil {
		return 0
	}
	return vm.mem.Size()
}

// Failed reports the trap that failed this VM, if any.
func (vm *VM) Failed() error {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	return vm.failed
}

// CallExport runs a guest export that is not part of the ABI (benchmarks read guest-side
// statistics this way); an unknown name returns an error.
func (vm *VM) CallExport(name string, args ...uint64) (uint64, error) {
	vm.mu.Lock()
	defer vm.mu.Unlock()
	f := vm.mod.ExportedFunction(name)
	if f == nil {
		return 0, errors.New("no export " + name)
	}
	return vm.call(f, args...)
}

package proxywasm

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

// PanicHandler is implemented by an HttpContext that decides what its stream does after a bug
// in one of its callbacks (for example: pass the request on, or answer 503). Without it the
// stream continues.
type PanicHandler interface {
	OnPanic(callback string, recovered any) types.Action
}

// Deleter is implemented by an HttpContext that wants to know when Envoy deletes it
// (proxy_on_delete), for example to return it to a pool.
type Deleter interface {
	OnDelete()
}

type dispatcher struct {
	vm      types.VMContext
	roots   map[uint32]types.PluginContext
	streams streamTable
}

var disp = dispatcher{roots: map[uint32]types.PluginContext{}}

// SetVMContext installs the plugin. Call it from an init function or main: it makes no host
// call, so it is safe during _initialize.
func SetVMContext(vm types.VMContext) { disp.vm = vm }

// logPanic writes the recovered value without fmt (which would pull os into the module).
func logPanic(callback string, r any) {
	msg := "panic"
	switch v := r.(type) {
	case string:
		msg = v
	case error:
		msg = v.Error()
	}
	Log(LevelError, "proxywasm: recovered from a bug in "+callback+": "+msg)
}

func (d *dispatcher) onContextCreate(id, root uint32) {
	defer func() {
		if r := recover(); r != nil {
			logPanic("proxy_on_context_create", r)
		}
	}()
	if root == 0 {
		if d.vm != nil {
			d.roots[id] = d.vm.NewPluginContext(id)
		}
		return
	}
	p, ok := d.roots[root]
	if !ok {
		return
	}
	if h := p.NewHttpContext(id); h != nil {
		d.streams.put(id, h)
	}
}

func (d *dispatcher) onVMStart(size uint32) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			logPanic("proxy_on_vm_start", r)
			ok = false
		}
	}()
	if d.vm == nil {
		return false
	}
	return bool(d.vm.OnVMStart(int(size)))
}

func (d *dispatcher) onConfigure(root, size uint32) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			logPanic("proxy_on_configure", r)
			ok = false
		}
	}()
	p, found := d.roots[root]
	if !found {
		return false
	}
	return bool(p.OnPluginStart(int(size)))
}

// stream runs one HTTP callback with recovery.
func (d *dispatcher) stream(callback string, id uint32, run func(types.HttpContext) types.Action) (action types.Action) {
	h, ok := d.streams.get(id)
	if !ok {
		return types.ActionContinue
	}
	defer func() {
		if r := recover(); r != nil {
			logPanic(callback, r)
			action = types.ActionContinue
			if ph, ok := h.(PanicHandler); ok {
				action = safeOnPanic(ph, callback, r)
			}
		}
	}()
	return run(h)
}

func safeOnPanic(ph PanicHandler, callback string, r any) (action types.Action) {
	defer func() {
		if r2 := recover(); r2 != nil {
			logPanic(callback+" (panic handler)", r2)
			action = types.ActionContinue
		}
	}()
	return ph.OnPanic(callback, r)
}

func (d *dispatcher) onLog(id uint32) {
	h, ok := d.streams.get(id)
	if !ok {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			logPanic("proxy_on_log", r)
		}
	}()
	h.OnHttpStreamDone()
}

func (d *dispatcher) onTick(root uint32) {
	if p, ok := d.roots[root]; ok {
		defer func() {
			if r := recover(); r != nil {
				logPanic("proxy_on_tick", r)
			}
		}()
		p.OnTick()
	}
}

func (d *dispatcher) onDone(id uint32) bool {
	if p, ok := d.roots[id]; ok {
		defer func() {
			if r := recover(); r != nil {
				logPanic("proxy_on_done", r)
			}
		}()
		return p.OnPluginDone()
	}
	return true
}

func (d *dispatcher) onDelete(id uint32) {
	h, ok := d.streams.get(id)
	if !ok {
		delete(d.roots, id)
		return
	}
	d.streams.remove(id)
	if del, ok := h.(Deleter); ok {
		defer func() {
			if r := recover(); r != nil {
				logPanic("proxy_on_delete", r)
			}
		}()
		del.OnDelete()
	}
}

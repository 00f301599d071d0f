// Package host is an Envoy-faithful Proxy-Wasm host for tests and `make run`, built on wazero.
// It follows ../shared/envoy-host.md §8: exactly Envoy 1.33's WASI profile (poll_oneoff answers
// ENOSYS), restricted host calls during _initialize and proxy_on_memory_allocate, a canary VM
// then one VM per worker with its own root context, one shared-data store with Envoy's CAS
// rules, Envoy's per-stream call order (a local reply runs through the same filter's response
// callbacks; on_log before on_done), Envoy's header-map semantics, plugin configuration readable
// only in on_configure, custom metrics, a clock tests can drive with each VM's timer
// (proxy_on_tick) running on it, and workers that run in parallel. Handler turns real HTTP
// requests into streams.
package host

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/experimental"
)

// FailurePolicy is Envoy's PluginConfig.failure_policy: what a worker does after its VM traps.
type FailurePolicy int

const (
	FailClosed FailurePolicy = iota // 503 for every later request on that worker
	FailOpen                        // later requests skip the filter
	FailReload                      // a fresh VM (same shared data) serves later requests
)

// Level is a Proxy-Wasm log level.
type Level uint32

// Log levels.
const (
	LevelTrace Level = iota
	LevelDebug
	LevelInfo
	LevelWarn
	LevelError
	LevelCritical
)

func (l Level) String() string {
	switch l {
	case LevelTrace:
		return "trace"
	case LevelDebug:
		return "debug"
	case LevelInfo:
		return "info"
	case LevelWarn:
		return "warning"
	case LevelError:
		return "error"
	default:
		return "critical"
	}
}

// LogEntry is one log line from a VM (the guest's proxy_log or stdio) or from the host.
type LogEntry struct {
	Level   Level
	VM      string
	Message string
}

// Options configure a Host.
type Options struct {
	Workers       int // default 2, like a small Envoy --concurrency
	VMID          string
	PluginName    string
	RootID        string
	Configuration []byte
	Clock         Clock // default: the real clock
	FailurePolicy FailurePolicy
	// LogSink, when set, receives every log line as it is written.
	LogSink func(LogEntry)
	// Listeners, when set, instruments every guest function call (make pgo counts call edges
	// with it). It slows every call; never set it where cost is measured.
	Listeners experimental.FunctionListenerFactory
}

// Host runs a Proxy-Wasm module the way Envoy does.
type Host struct {
	opt     Options
	wasm    []byte
	cache   wazero.CompilationCache
	clock   Clock
	started time.Time

	Store   *SharedStore
	Metrics *Metrics

	mu      sync.Mutex            // serialises changes to the worker set
	workers atomic.Pointer[[]*VM] // read on every request without a lock
	next    atomic.Uint64

	trapped         atomic.Uint64
	PollOneoffCalls atomic.Uint64

	logMu sync.Mutex
	logs  []LogEntry

	stopTimers chan struct{}
	timersDone sync.WaitGroup
	closing    sync.Once
}

// ConfigError is a plugin that refused its configuration (proxy_on_configure returned false):
// Envoy rejects the configuration, logging the plugin's lines.
type ConfigError struct{ Lines []string }

func (e *ConfigError) Error() string {
	return "the plugin refused its configuration:\n" + strings.Join(e.Lines, "\n")
}

// New loads the module, runs the canary (start + configure, then discarded), then starts one
// VM per worker. A configuration the plugin refuses returns a *ConfigError.
func New(wasm []byte, opt Options) (*Host, error) {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.Clock == nil {
		opt.Clock = realClock{}
	}
	if opt.PluginName == "" {
		opt.PluginName = "koji-edge"
	}
	h := &Host{opt: opt, wasm: wasm, cache: wazero.NewCompilationCache(), clock: opt.Clock, started: time.Now(),
		Store: NewSharedStore(), Metrics: newMetrics()}
	if err := h.canary(); err != nil {
		h.cache.Close(context.Background())
		return nil, err
	}
	var workers []*VM
	for i := 0; i < opt.Workers; i++ {
		vm, err := h.startVM(fmt.Sprintf("worker-%d", i))
		if err != nil {
			h.workers.Store(&workers)
			h.Close()
			return nil, err
		}
		workers = append(workers, vm)
	}
	h.workers.Store(&workers)
	h.stopTimers = make(chan struct{})
	h.timersDone.Add(1)
	go h.runTimers()
	return h, nil
}

// timerResolution is how often the host looks for a VM timer that is due, in real time.
const timerResolution = 10 * time.Millisecond

// runTimers fires each worker's timer when its period has passed on the host's clock (a
// ManualClock fires them only as a test moves it), as Envoy's dispatcher runs a worker's timers
// between its requests.
func (h *Host) runTimers() {
	defer h.timersDone.Done()
	t := time.NewTicker(timerResolution)
	defer t.Stop()
	for {
		select {
		case <-h.stopTimers:
			return
		case <-t.C:
			now := h.clock.Now()
			for _, vm := range h.Workers() {
				vm.tickIfDue(now, false)
			}
		}
	}
}

// Tick runs every worker's tick callback now, as if each timer's period had just passed: tests
// use it to read metrics a plugin reports on its tick without moving the clock.
func (h *Host) Tick() {
	now := h.clock.Now()
	for _, vm := range h.Workers() {
		vm.tickIfDue(now, true)
	}
}

func (h *Host) canary() error {
	mark := len(h.Logs())
	vm, err := h.startVM("canary")
	if err != nil {
		var ce *ConfigError
		if errors.As(err, &ce) {
			for _, l := range h.Logs()[mark:] {
				if l.Level >= LevelError {
					ce.Lines = append(ce.Lines, l.Message)
				}
			}
		}
		return err
	}
	vm.Close()
	return nil
}

func (h *Host) startVM(name string) (*VM, error) {
	vm, err := h.newVM(name)
	if err != nil {
		return nil, err
	}
	ok, err := vm.start()
	if err != nil {
		vm.Close()
		return nil, fmt.Errorf("%s: plugin start: %w", name, err)
	}
	if !ok {
		vm.Close()
		return nil, &ConfigError{}
	}
	return vm, nil
}

// Workers returns the worker VMs (do not modify the slice).
func (h *Host) Workers() []*VM {
	return *h.workers.Load()
}

// Worker returns worker i.
func (h *Host) Worker(i int) *VM {
	return (*h.workers.Load())[i]
}

// ReplaceWorker swaps worker i for a fresh VM that joins the same shared data, as Envoy's
// FAIL_RELOAD does after a trap.
func (h *Host) ReplaceWorker(i int) error {
	vm, err := h.startVM(fmt.Sprintf("worker-%d", i))
	if err != nil {
		return err
	}
	h.mu.Lock()
	workers := append([]*VM(nil), *h.workers.Load()...)
	old := workers[i]
	workers[i] = vm
	h.workers.Store(&workers)
	h.mu.Unlock()
	old.shutdown()
	return nil
}

// Reconfigure applies a new plugin configuration the way an xDS update does: a canary first
// (a refused configuration leaves the running workers alone), then new VMs on the same shared
// data.
func (h *Host) Reconfigure(configuration []byte) error {
	prev := h.opt.Configuration
	h.opt.Configuration = configuration
	if err := h.canary(); err != nil {
		h.opt.Configuration = prev
		return err
	}
	for i := range h.Workers() {
		if err := h.ReplaceWorker(i); err != nil {
			return err
		}
	}
	return nil
}

// Traps is how many guest calls have trapped.
func (h *Host) Traps() uint64 { return h.trapped.Load() }

// Close shuts every VM down (proxy_on_done on its root context, then release).
func (h *Host) Close() {
	h.closing.Do(func() {
		if h.stopTimers != nil {
			close(h.stopTimers)
			h.timersDone.Wait()
		}
	})
	for _, vm := range h.Workers() {
		vm.shutdown()
	}
	h.cache.Close(context.Background())
}

func (h *Host) log(level Level, vm, msg string) {
	e := LogEntry{Level: level, VM: vm, Message: msg}
	h.logMu.Lock()
	if len(h.logs) >= 20000 { // keep memory flat in long runs
		h.logs = append(h.logs[:0], h.logs[10000:]...)
	}
	h.logs = append(h.logs, e)
	h.logMu.Unlock()
	if h.opt.LogSink != nil {
		h.opt.LogSink(e)
	}
}

func (h *Host) logf(level Level, vm, format string, args ...any) {
	h.log(level, vm, fmt.Sprintf(format, args...))
}

// Logs returns the log lines kept so far.
func (h *Host) Logs() []LogEntry {
	h.logMu.Lock()
	defer h.logMu.Unlock()
	return append([]LogEntry(nil), h.logs...)
}

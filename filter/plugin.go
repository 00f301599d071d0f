// Package filter is the koji-edge HTTP filter: per request, CORS preflight → API key → rate
// limit → upstream → response headers. The policy lives in the pure packages config, cors and
// limiter; this package is the thin layer that reads and writes through the host (proxywasm).
package filter

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/config"
	"github.com/kojihq/koji-edge/proxywasm"
)

// NewVMContext is the plugin's entry point, installed by cmd/koji-edge.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

// plugin is one root context: the configuration, built once, and the buffers every request
// of this VM reuses (a VM runs one callback at a time).
type plugin struct {
	types.DefaultPluginContext
	cfg     *config.Config
	metrics metrics
	table   table
	keys    keyCache
	names   proxywasm.NameSet // the request headers read
	log     throttledLog
	reply   proxywasm.Pairs
	scratch []byte
	// varyLines collects a response's Vary lines when they must be merged.
	varyLines [][]byte
	free      []*stream
}

func (p *plugin) OnPluginStart(size int) types.OnPluginStartStatus {
	data, st := proxywasm.PluginConfiguration(size)
	if st != proxywasm.StatusOK && st != proxywasm.StatusNotFound {
		proxywasm.Log(proxywasm.LevelError, "koji-edge: configuration error: the host did not give the plugin configuration (status "+itoa(uint64(st))+")")
		return false
	}
	cfg, problems := config.Parse(data)
	if problems != nil {
		for _, line := range problems {
			proxywasm.Log(proxywasm.LevelError, "koji-edge: configuration error: "+line)
		}
		return false
	}
	for _, w := range cfg.Warnings {
		proxywasm.Log(proxywasm.LevelWarn, "koji-edge: configuration warning: "+w)
	}
	if !p.metrics.define() {
		proxywasm.Log(proxywasm.LevelError, "koji-edge: could not define the filter's metrics")
		return false
	}
	if proxywasm.SetTickPeriod(flushEveryMs) != proxywasm.StatusOK {
		proxywasm.Log(proxywasm.LevelError, "koji-edge: the host refused a tick period, which the filter's metrics need")
		return false
	}
	if cfg.RateLimit != nil {
		p.table.init(cfg.RateLimit.Buckets())
		p.keys.init()
		p.table.ensureAnchor()
	}
	p.cfg = cfg
	p.names = readNames(cfg.RateLimit)
	p.scratch = make([]byte, 0, 256)
	proxywasm.Log(proxywasm.LevelInfo, "koji-edge: configuration loaded: "+cfg.Summary())
	return true
}

// OnTick reports the metrics counted since the last tick.
func (p *plugin) OnTick() { p.metrics.flush() }

// OnPluginDone reports the last counts when Envoy shuts the plugin down (a configuration
// update or removal).
func (p *plugin) OnPluginDone() bool {
	p.metrics.flush()
	return true
}

func (p *plugin) NewHttpContext(uint32) types.HttpContext {
	if p.cfg == nil {
		return nil
	}
	if n := len(p.free); n > 0 {
		s := p.free[n-1]
		p.free = p.free[:n-1]
		return s
	}
	return &stream{p: p}
}

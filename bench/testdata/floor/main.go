// Command floor is the benchmark floor of a counted request: on the same ABI binding as
// koji-edge, it makes only the host calls a counted request needs (read the request headers
// once, the clock, one shared-data get and one CAS set, six response-header writes) and does
// nothing else: no parsing, no hashing, no window math.
package main

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/proxywasm"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct {
	types.DefaultPluginContext
	value [64]byte
}

func (p *plugin) NewHttpContext(uint32) types.HttpContext { return &stream{p: p} }

type stream struct {
	types.DefaultHttpContext
	p *plugin
}

var key = []byte("koji-edge/floor/0")

var number = []byte("1")

func (s *stream) OnHttpRequestHeaders(int, bool) types.Action {
	proxywasm.HeaderPairs(proxywasm.MapRequestHeaders)
	now := proxywasm.NowNanos()
	_, cas, _ := proxywasm.SharedData(key)
	s.p.value[0] = byte(now)
	proxywasm.SetSharedData(key, s.p.value[:], cas)
	return types.ActionContinue
}

func (s *stream) OnHttpResponseHeaders(int, bool) types.Action {
	proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "x-ratelimit-limit", number)
	proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "x-ratelimit-remaining", number)
	proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "x-ratelimit-reset", number)
	proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "access-control-allow-origin", number)
	proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "access-control-expose-headers", number)
	proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "vary", number)
	return types.ActionContinue
}

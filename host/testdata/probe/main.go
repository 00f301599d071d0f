// Command probe is a test guest for the host's own tests: it logs every callback and, on a
// request header x-action, does one thing the host must handle as Envoy does.
package main

import (
	"time"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/proxywasm"
)

func init() { proxywasm.SetVMContext(&vm{}) }

func main() {}

type vm struct{ types.DefaultVMContext }

func (*vm) NewPluginContext(uint32) types.PluginContext { return &plugin{} }

type plugin struct{ types.DefaultPluginContext }

func (*plugin) OnPluginStart(size int) types.OnPluginStartStatus {
	cfg, st := proxywasm.PluginConfiguration(size)
	proxywasm.Log(proxywasm.LevelInfo, "configure status="+itoa(int(st))+" config="+string(cfg))
	if string(cfg) == "tick" {
		proxywasm.SetTickPeriod(1000)
	}
	return string(cfg) != "refuse"
}

func (*plugin) OnTick() { proxywasm.Log(proxywasm.LevelInfo, "tick") }

func (*plugin) OnPluginDone() bool {
	proxywasm.Log(proxywasm.LevelInfo, "plugin done")
	return true
}

func (*plugin) NewHttpContext(id uint32) types.HttpContext { return &stream{id: id} }

type stream struct {
	types.DefaultHttpContext
	id uint32
}

func (s *stream) log(cb string) { proxywasm.Log(proxywasm.LevelInfo, "cb "+cb+" "+itoa(int(s.id))) }

func (s *stream) OnHttpRequestHeaders(n int, eos bool) types.Action {
	s.log("request_headers")
	action, _ := proxywasm.Header(proxywasm.MapRequestHeaders, "x-action")
	switch string(action) {
	case "local":
		var p proxywasm.Pairs
		p.Add("x-from-plugin", "1")
		proxywasm.SendLocalResponse(418, p.Encode(), "teapot")
		return types.ActionPause
	case "local-empty":
		proxywasm.SendLocalResponse(204, nil, "")
		return types.ActionPause
	case "config":
		_, st := proxywasm.PluginConfiguration(100)
		proxywasm.Log(proxywasm.LevelInfo, "config in request status="+itoa(int(st)))
	case "sleep":
		time.Sleep(time.Millisecond) // the Go runtime sleeps with poll_oneoff
	case "panic":
		var m map[string]int
		m["x"] = 1
	case "origins":
		v, _ := proxywasm.Header(proxywasm.MapRequestHeaders, "origin")
		proxywasm.Log(proxywasm.LevelInfo, "origin="+string(v))
	}
	return types.ActionContinue
}

func (s *stream) OnHttpRequestBody(n int, eos bool) types.Action {
	_, st := proxywasm.Header(proxywasm.MapRequestHeaders, "x-action")
	s.log("request_body status=" + itoa(int(st)))
	return types.ActionContinue
}

func (s *stream) OnHttpResponseHeaders(n int, eos bool) types.Action {
	s.log("response_headers")
	proxywasm.ReplaceHeaderString(proxywasm.MapResponseHeaders, "x-seen-by-response", "1")
	return types.ActionContinue
}

func (s *stream) OnHttpResponseBody(n int, eos bool) types.Action {
	if eos {
		s.log("response_body eos")
	}
	return types.ActionContinue
}

func (s *stream) OnHttpStreamDone() { s.log("log") }

func (s *stream) OnDelete() { s.log("delete") }

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// The binding leaves the body callbacks out; the probe exports them to see Envoy's order.

//go:wasmexport proxy_on_request_body
func onRequestBody(id, size, eos uint32) uint32 { return proxywasm.OnRequestBody(id, size, eos) }

//go:wasmexport proxy_on_response_body
func onResponseBody(id, size, eos uint32) uint32 { return proxywasm.OnResponseBody(id, size, eos) }

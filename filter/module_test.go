package filter_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tetratelabs/wazero"

	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// envoyImports is the list of host functions Envoy 1.33 to 1.38 provide (a copy of
// ../shared/envoy-host-imports.txt kept in the repo).
func envoyImports(t *testing.T) map[string]bool {
	f, err := os.Open(filepath.Join(wasmbuild.Root(), "host", "envoy-imports.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
			out[l] = true
		}
	}
	return out
}

// The built module imports only what Envoy provides (anything else fails to load there) and
// exports what a WASI reactor speaking Proxy-Wasm 0.2.1 must.
func TestModuleImportsOnlyWhatEnvoyProvides(t *testing.T) {
	wasm := wasmbuild.Read(t, wasmbuild.Filter(t))
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	defer rt.Close(ctx)
	c, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		t.Fatal(err)
	}
	allowed := envoyImports(t)
	if len(allowed) < 50 {
		t.Fatalf("the import list has only %d entries", len(allowed))
	}
	for _, f := range c.ImportedFunctions() {
		mod, name, _ := f.Import()
		if !allowed[mod+"."+name] {
			t.Errorf("imports %s.%s, which Envoy does not provide: the module would fail to load", mod, name)
		}
	}
	if n := len(c.ImportedMemories()); n != 0 {
		t.Errorf("imports %d memories; Envoy provides none", n)
	}
	exports := c.ExportedFunctions()
	for _, name := range []string{"_initialize", "proxy_abi_version_0_2_1", "proxy_on_memory_allocate",
		"proxy_on_context_create", "proxy_on_vm_start", "proxy_on_configure", "proxy_on_request_headers",
		"proxy_on_response_headers", "proxy_on_log", "proxy_on_done", "proxy_on_delete"} {
		if _, ok := exports[name]; !ok {
			t.Errorf("does not export %s", name)
		}
	}
	// Envoy makes no VM call for a callback the module does not export: none per body chunk.
	for _, name := range []string{"proxy_on_request_body", "proxy_on_response_body", "proxy_on_request_trailers", "proxy_on_response_trailers"} {
		if _, ok := exports[name]; ok {
			t.Errorf("exports %s: a VM call per body chunk for nothing", name)
		}
	}
	if _, ok := exports["_start"]; ok {
		t.Error("exports _start: Envoy would treat it as a command, not a reactor")
	}
	if _, ok := c.ExportedMemories()["memory"]; !ok {
		t.Error("does not export its memory")
	}
}

// Second opinion: the same .wasm under the SDK's own emulator. proxytest never calls
// _initialize, so a test copy names it _start (which wazero runs on instantiation).
func TestSameModuleUnderTheSDKEmulator(t *testing.T) {
	wasm, ok := wasmbuild.RenameExport(wasmbuild.Read(t, wasmbuild.Filter(t)), "_initialize", "_start")
	if !ok {
		t.Fatal("no _initialize export to rename")
	}
	vm, err := proxytest.NewWasmVMContext(wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer vm.Close()
	config := `{"rate_limit":{"plans":{"free":{"requests":2,"window":"60s"}}},
	            "cors":{"allowed_origins":["https://app.example"]}}`
	host, reset := proxytest.NewHostEmulator(proxytest.NewEmulatorOption().WithVMContext(vm).WithPluginConfiguration([]byte(config)))
	defer reset()
	if st := host.StartPlugin(); st != types.OnPluginStartStatusOK {
		t.Fatalf("start: %v; logs %q", st, host.GetErrorLogs())
	}

	request := func(method string, headers ...[2]string) (types.Action, uint32) {
		id := host.InitializeHttpContext()
		hs := append([][2]string{{":method", method}, {":path", "/"}, {":authority", "api.example"}}, headers...)
		action := host.CallOnRequestHeaders(id, hs, true)
		return action, id
	}

	// Two admitted requests carry the rate-limit headers on the upstream response.
	for want := 1; want >= 0; want-- {
		action, id := request("GET", [2]string{"x-api-key", "k1"})
		if action != types.ActionContinue {
			t.Fatalf("admitted request paused: %v", host.GetSentLocalResponse(id))
		}
		host.CallOnResponseHeaders(id, [][2]string{{":status", "200"}}, false)
		got := map[string]string{}
		for _, kv := range host.GetCurrentResponseHeaders(id) {
			got[kv[0]] = kv[1]
		}
		if got["x-ratelimit-limit"] != "2" || got["x-ratelimit-remaining"] != string(rune('0'+want)) {
			t.Fatalf("response headers %v", got)
		}
		host.CompleteHttpContext(id)
	}
	// The third is answered 429 by the filter itself.
	action, id := request("GET", [2]string{"x-api-key", "k1"})
	local := host.GetSentLocalResponse(id)
	if action != types.ActionPause || local == nil || local.StatusCode != 429 ||
		string(local.Data) != rateLimitedBody {
		t.Fatalf("third request: %v %+v", action, local)
	}
	// A preflight is answered without a key.
	_, id = request("OPTIONS", [2]string{"origin", "https://app.example"}, [2]string{"access-control-request-method", "GET"})
	local = host.GetSentLocalResponse(id)
	if local == nil || local.StatusCode != 204 {
		t.Fatalf("preflight: %+v", local)
	}
	// No key: 401.
	_, id = request("GET")
	if local = host.GetSentLocalResponse(id); local == nil || local.StatusCode != 401 {
		t.Fatalf("no key: %+v", local)
	}
	// The counts reach the host on the plugin's tick.
	if host.GetTickPeriod() == 0 {
		t.Fatal("the plugin set no tick period: its metrics would never be reported")
	}
	host.Tick()
	for _, name := range []string{"koji_edge_requests_allowed", "koji_edge_requests_rate_limited", "koji_edge_preflights_answered"} {
		if v, err := host.GetCounterMetric(name); err != nil || v == 0 {
			t.Errorf("%s = %d, %v", name, v, err)
		}
	}
	if logs := host.GetCriticalLogs(); len(logs) != 0 {
		t.Errorf("critical logs: %q", logs)
	}
}

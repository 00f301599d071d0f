// Package envoy holds the deployment files operators use: an envoy.yaml, an Istio WasmPlugin and
// the Dockerfile of the OCI image Istio pulls. This test checks every shipped Envoy config
// against Envoy's own protos and validation rules, and every embedded plugin configuration
// against the filter's own validator, so a typo in a shipped file fails `make test`.
package envoy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	wasmfilterv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/wasm/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
	"sigs.k8s.io/yaml"

	"github.com/kojihq/koji-edge/config"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// Referenced so that their types are registered for the Any fields.
var _ = []any{&routerv3.Router{}, &wasmfilterv3.Wasm{}, &hcmv3.HttpConnectionManager{}}

type validator interface{ ValidateAll() error }

func shippedEnvoyConfigs(t *testing.T) []string {
	root := wasmbuild.Root()
	files := []string{filepath.Join(root, "envoy", "envoy.yaml"), filepath.Join(root, "e2e", "envoy.yaml")}
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// checkEnvoyConfig does what Envoy does with a config file before the plugin runs: YAML to the
// bootstrap proto, its validation rules, every typed_config unpacked and validated. It returns
// the Wasm HTTP filters it found.
func checkEnvoyConfig(y []byte) ([]*wasmfilterv3.Wasm, error) {
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		return nil, fmt.Errorf("not YAML: %w", err)
	}
	var b bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(j, &b); err != nil {
		return nil, fmt.Errorf("not an Envoy bootstrap: %w", err)
	}
	if err := b.ValidateAll(); err != nil {
		return nil, fmt.Errorf("Envoy would reject it: %w", err)
	}
	unpack := func(what string, a *anypb.Any) (proto.Message, error) {
		m, err := a.UnmarshalNew()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		if v, ok := m.(validator); ok {
			if err := v.ValidateAll(); err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
		}
		return m, nil
	}
	var out []*wasmfilterv3.Wasm
	for _, l := range b.GetStaticResources().GetListeners() {
		for _, fc := range l.GetFilterChains() {
			for _, f := range fc.GetFilters() {
				m, err := unpack("listener "+l.GetName()+" filter "+f.GetName(), f.GetTypedConfig())
				if err != nil {
					return nil, err
				}
				hcm, ok := m.(*hcmv3.HttpConnectionManager)
				if !ok {
					continue
				}
				filters := hcm.GetHttpFilters()
				if len(filters) == 0 || filters[len(filters)-1].GetName() != "envoy.filters.http.router" {
					return nil, fmt.Errorf("listener %s: the router must be the last HTTP filter", l.GetName())
				}
				for _, hf := range filters {
					m, err := unpack("http filter "+hf.GetName(), hf.GetTypedConfig())
					if err != nil {
						return nil, err
					}
					if w, ok := m.(*wasmfilterv3.Wasm); ok {
						if hf.GetName() != "envoy.filters.http.wasm" {
							return nil, fmt.Errorf("the Wasm filter is named %q", hf.GetName())
						}
						out = append(out, w)
					}
				}
			}
		}
	}
	return out, nil
}

func TestShippedEnvoyConfigsPassEnvoysValidation(t *testing.T) {
	for _, file := range shippedEnvoyConfigs(t) {
		name, _ := filepath.Rel(wasmbuild.Root(), file)
		t.Run(name, func(t *testing.T) {
			y, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ws, err := checkEnvoyConfig(y)
			if err != nil {
				t.Fatal(err)
			}
			if len(ws) != 1 {
				t.Fatalf("%d Wasm filters, want 1", len(ws))
			}
			pc := ws[0].GetConfig()
			vm := pc.GetVmConfig()
			if vm.GetRuntime() != "envoy.wasm.runtime.v8" || vm.GetVmId() == "" {
				t.Errorf("runtime %q, vm_id %q: want v8 and an explicit vm_id (the shared-data namespace)", vm.GetRuntime(), vm.GetVmId())
			}
			if !strings.HasSuffix(vm.GetCode().GetLocal().GetFilename(), ".wasm") {
				t.Errorf("code %v", vm.GetCode())
			}
			if pc.GetFailurePolicy() == 0 {
				t.Error("failure_policy is not set")
			}
			var s wrapperspb.StringValue
			if err := pc.GetConfiguration().UnmarshalTo(&s); err != nil {
				t.Fatalf("configuration is not a StringValue: %v", err)
			}
			if _, problems := config.Parse([]byte(s.GetValue())); problems != nil {
				t.Fatalf("the plugin would refuse its configuration:\n%s", strings.Join(problems, "\n"))
			}
			if strings.HasPrefix(name, "e2e") {
				want, err := os.ReadFile(filepath.Join(wasmbuild.Root(), "e2e", "config.json"))
				if err != nil {
					t.Fatal(err)
				}
				if !sameJSON(t, []byte(s.GetValue()), want) {
					t.Error("e2e/envoy.yaml's plugin configuration differs from e2e/config.json, which the local run uses")
				}
			}
		})
	}
}

// A typo in a shipped config must fail the check: the check itself is tested.
func TestSchemaCheckCatchesTypos(t *testing.T) {
	y, err := os.ReadFile(filepath.Join(wasmbuild.Root(), "envoy", "envoy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ from, to string }{
		{"failure_policy: FAIL_RELOAD", "failure_policy: FAIL_RELAOD"},
		{"runtime: envoy.wasm.runtime.v8", "runtme: envoy.wasm.runtime.v8"},
		{"port_value: 10000", "port_value: 100000"},
	} {
		bad := bytes.Replace(y, []byte(c.from), []byte(c.to), 1)
		if bytes.Equal(bad, y) {
			t.Fatalf("%q is not in envoy.yaml", c.from)
		}
		_, err := checkEnvoyConfig(bad)
		if err == nil {
			t.Errorf("%q → %q was not caught", c.from, c.to)
		}
	}
}

// The Istio WasmPlugin: the fields Istio's API defines (istio/api extensions/v1alpha1), phase
// AUTHN, and a pluginConfig the filter accepts.
func TestWasmPluginManifest(t *testing.T) {
	y, err := os.ReadFile(filepath.Join(wasmbuild.Root(), "envoy", "wasmplugin.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(y)
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		APIVersion string                     `json:"apiVersion"`
		Kind       string                     `json:"kind"`
		Metadata   map[string]json.RawMessage `json:"metadata"`
		Spec       map[string]json.RawMessage `json:"spec"`
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if m.APIVersion != "extensions.istio.io/v1alpha1" || m.Kind != "WasmPlugin" {
		t.Fatalf("%s %s", m.APIVersion, m.Kind)
	}
	known := map[string]bool{"selector": true, "targetRef": true, "targetRefs": true, "url": true, "sha256": true,
		"imagePullPolicy": true, "imagePullSecret": true, "pluginConfig": true, "pluginName": true, "phase": true,
		"priority": true, "failStrategy": true, "vmConfig": true, "match": true, "type": true}
	for k := range m.Spec {
		if !known[k] {
			t.Errorf("spec.%s is not a WasmPlugin field", k)
		}
	}
	enum := func(field string, allowed ...string) {
		var v string
		json.Unmarshal(m.Spec[field], &v)
		for _, a := range allowed {
			if v == a {
				return
			}
		}
		t.Errorf("spec.%s = %q, want one of %v", field, v, allowed)
	}
	enum("phase", "AUTHN")
	enum("failStrategy", "FAIL_CLOSE", "FAIL_OPEN", "FAIL_RELOAD")
	enum("imagePullPolicy", "IfNotPresent", "Always")
	enum("type", "HTTP")
	var url string
	json.Unmarshal(m.Spec["url"], &url)
	if !strings.HasPrefix(url, "oci://") && !strings.HasPrefix(url, "file://") && !strings.HasPrefix(url, "https://") {
		t.Errorf("url %q", url)
	}
	if _, problems := config.Parse(m.Spec["pluginConfig"]); problems != nil {
		t.Fatalf("the plugin would refuse its pluginConfig:\n%s", strings.Join(problems, "\n"))
	}
}

func TestDockerfileIsIstiosCompatImage(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(wasmbuild.Root(), "envoy", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	var instr []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			instr = append(instr, l)
		}
	}
	if strings.Join(instr, "|") != "FROM scratch|COPY plugin.wasm ./" {
		t.Fatalf("instructions %q: Istio's compat image is FROM scratch and exactly one COPY of plugin.wasm", instr)
	}
}

func sameJSON(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// upstreamServer is the suite's upstream: 200 JSON, and under /cors-upstream its own CORS
// headers, which the filter must replace.
func upstreamServer() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasPrefix(r.URL.Path, "/cors-upstream") {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Vary", "Accept")
		}
		w.Write([]byte(`{"ok":true}`))
	}))
}

// startHost serves the plugin with e2e/config.json in the repo's host, over real HTTP.
func startHost(t *testing.T, workers int) Target {
	config, err := os.ReadFile(filepath.Join(wasmbuild.Root(), "e2e", "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	h, err := host.New(wasmbuild.Read(t, wasmbuild.Filter(t)), host.Options{Workers: workers, VMID: "koji-edge", Configuration: config})
	if err != nil {
		t.Fatal(err)
	}
	up := upstreamServer()
	front := httptest.NewServer(h.Handler(host.HTTPUpstream(up.URL)))
	admin := httptest.NewServer(h.AdminHandler())
	t.Cleanup(func() {
		front.Close()
		admin.Close()
		up.Close()
		if n := h.Traps(); n != 0 {
			t.Errorf("%d traps", n)
		}
		h.Close()
	})
	return Target{BaseURL: front.URL, AdminURL: admin.URL}
}

func TestLocalHost(t *testing.T) {
	Run(t, startHost(t, 3))
}

// TestEnvoy runs the suite against a real Envoy; e2e/run-envoy.sh (make e2e-envoy) sets the URLs.
func TestEnvoy(t *testing.T) {
	base := os.Getenv("KOJI_E2E_ENVOY_URL")
	if base == "" {
		t.Skip("KOJI_E2E_ENVOY_URL is not set: run `make e2e-envoy` (needs Docker) to test against a real Envoy")
	}
	Run(t, Target{BaseURL: base, AdminURL: os.Getenv("KOJI_E2E_ENVOY_ADMIN")})
}

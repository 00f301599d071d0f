package proxywasm_test

import (
	"testing"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
	"github.com/kojihq/koji-edge/proxywasm/internal/pairscheck"
)

func TestPairsIn(t *testing.T) {
	if msg := pairscheck.Run(1, 200_000); msg != "" {
		t.Fatal(msg)
	}
}

// TestPairsInWasm runs the same check inside a VM, where PairsIn passes over headers in
// WebAssembly assembly (names_wasm.s).
func TestPairsInWasm(t *testing.T) {
	var logs []string
	h, err := host.New(wasmbuild.Read(t, wasmbuild.Module(t, "./proxywasm/testdata/pairsin")), host.Options{
		Workers: 1, VMID: "pairsin",
		LogSink: func(e host.LogEntry) { logs = append(logs, e.Message) },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for seed := uint64(1); seed <= 4; seed++ {
		if bad, err := h.Worker(0).CallExport("pairs_in_check", seed, 50_000); err != nil || bad != 0 {
			t.Fatalf("seed %d: %v %v", seed, err, logs)
		}
	}
}

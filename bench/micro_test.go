package bench

import (
	"testing"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// BenchmarkGuestPieces times pieces of the hot path inside a VM (testdata/micro), to show where
// a counted request's guest time goes: SHA-256 of a key (why the filter caches digests), one
// limiter.Apply, map lookups, walking a 10-header map, and bare host calls.
func BenchmarkGuestPieces(b *testing.B) {
	h, err := host.New(wasmbuild.Read(b, wasmbuild.Module(b, "./bench/testdata/micro")), host.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	// micro_shared_get reads a 64-byte value (a host call that re-enters the guest to allocate);
	// micro_shared_missing and micro_clock are host calls that do not.
	if _, err := h.Worker(0).CallExport("micro_shared_get", 1); err != nil { // creates the value
		b.Fatal(err)
	}
	for _, f := range []string{"micro_sha", "micro_apply", "micro_strmap", "micro_digestmap", "micro_intmap",
		"micro_pairs_iter", "micro_pairs_switch", "micro_shared_get", "micro_shared_missing", "micro_clock"} {
		b.Run(f, func(b *testing.B) {
			if _, err := h.Worker(0).CallExport(f, uint64(b.N)); err != nil {
				b.Fatal(err)
			}
		})
	}
}

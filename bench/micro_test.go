package bench

import (
	"testing"

	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

// BenchmarkGuestPieces times pieces of the hot path inside a VM (testdata/micro), to show where
// a counted request's guest time goes: SHA-256 of a key (why the filter caches digests), one
// limiter.Apply, map lookups, and walking a 10-header map.
func BenchmarkGuestPieces(b *testing.B) {
	h, err := host.New(wasmbuild.Read(b, wasmbuild.Module(b, "./bench/testdata/micro")), host.Options{Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	for _, f := range []string{"micro_sha", "micro_apply", "micro_strmap", "micro_digestmap", "micro_intmap", "micro_pairs_iter", "micro_pairs_switch"} {
		b.Run(f, func(b *testing.B) {
			if _, err := h.Worker(0).CallExport(f, uint64(b.N)); err != nil {
				b.Fatal(err)
			}
		})
	}
}

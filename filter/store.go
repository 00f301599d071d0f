package filter

import (
	"encoding/binary"
	"strconv"

	"github.com/kojihq/koji-edge/limiter"
	"github.com/kojihq/koji-edge/proxywasm"
)

// maxCASAttempts bounds the read-decide-write loop on one bucket. Each failed attempt means
// another worker wrote the bucket in between; past this, failure_mode decides.
const maxCASAttempts = 16

// anchorKey owns a CAS token that no bucket can ever hold (Envoy hands out each token once, to
// one write). Creating a bucket with that token instead of 0 makes the write conditional when
// the bucket already exists, so Envoy's unconditional first write cannot lose a count.
var (
	anchorKey   = []byte("koji-edge/anchor")
	anchorValue = []byte("koji-edge")
)

// table is the fixed set of shared-data keys: "koji-edge/<buckets>/<index>". The raw API key is
// never part of it: a SHA-256 digest picks the bucket and the entry's fingerprint.
type table struct {
	buckets uint32
	prefix  []byte // "koji-edge/<buckets>/"
	out     []byte
}

// bucketRef is where one API key's counts live: its bucket's shared-data key and its
// fingerprint there. It is worked out once per key, when the key cache fills (see keyCache).
type bucketRef struct {
	fp  uint64
	n   uint8
	key [bucketKeyMax]byte
}

// bucketKeyMax holds the longest bucket key: "koji-edge/" + 7 digits + "/" + 6 hex digits.
const bucketKeyMax = 24

func (r *bucketRef) sharedKey() []byte { return r.key[:r.n] }

type storeResult int

const (
	stored storeResult = iota
	storeFailed
	casExhausted
)

func (t *table) init(buckets uint32) {
	t.buckets = buckets
	t.prefix = appendUint(append(t.prefix[:0], "koji-edge/"...), uint64(buckets))
	t.prefix = append(t.prefix, '/')
	t.out = make([]byte, 0, limiter.MaxBucketSize)
}

// ref works out where the key with this SHA-256 digest is counted (once per key: see keyCache).
func (t *table) ref(digest *[32]byte, r *bucketRef) {
	bucket := binary.LittleEndian.Uint64(digest[0:8]) % uint64(t.buckets)
	r.fp = binary.LittleEndian.Uint64(digest[8:16])
	r.n = uint8(len(strconv.AppendUint(append(r.key[:0], t.prefix...), bucket, 16)))
}

func (t *table) ensureAnchor() {
	if _, _, st := proxywasm.SharedData(anchorKey); st == proxywasm.StatusNotFound {
		proxywasm.SetSharedData(anchorKey, anchorValue, 0)
	}
}

// anchorCAS reads the anchor's token, creating the anchor if it is somehow missing.
func (t *table) anchorCAS() (uint32, proxywasm.Status) {
	_, cas, st := proxywasm.SharedData(anchorKey)
	if st == proxywasm.StatusNotFound {
		proxywasm.SetSharedData(anchorKey, anchorValue, 0)
		_, cas, st = proxywasm.SharedData(anchorKey)
	}
	if st == proxywasm.StatusOK && cas == 0 {
		st = proxywasm.StatusInternalFailure
	}
	return cas, st
}

// admit counts one request of the key at ref, across every worker, with compare-and-swap, and
// writes the decision into d (in place: a struct copy is dear in Wasm) when the store answered,
// a rejection included, which writes nothing.
func (t *table) admit(d *limiter.Decision, ref *bucketRef, limits []limiter.Limit, now int64, m *metrics) (storeResult, proxywasm.Status) {
	key, fp := ref.sharedKey(), ref.fp
	for attempt := 0; attempt < maxCASAttempts; attempt++ {
		old, cas, st := proxywasm.SharedData(key)
		switch st {
		case proxywasm.StatusOK:
		case proxywasm.StatusNotFound:
			old = nil
			if cas, st = t.anchorCAS(); st != proxywasm.StatusOK {
				return storeFailed, st
			}
		default:
			return storeFailed, st
		}
		var next []byte
		*d, next = limiter.Apply(t.out[:0], old, fp, limits, now)
		if next == nil {
			return stored, proxywasm.StatusOK
		}
		switch st = proxywasm.SetSharedData(key, next, cas); st {
		case proxywasm.StatusOK:
			return stored, st
		case proxywasm.StatusCasMismatch:
			inc(&m.casConflicts)
		default:
			return storeFailed, st
		}
	}
	return casExhausted, proxywasm.StatusCasMismatch
}

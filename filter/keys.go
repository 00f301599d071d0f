package filter

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/kojihq/koji-edge/config"
)

// keyCache remembers, per VM, what the SHA-256 of a recently seen API key says: where it is
// counted (the shared-data bucket and fingerprint its digest picks) and its entry in the
// configured keys.
// Hashing is the largest single cost of a counted request inside the VM, and clients send the
// same key again and again.
//
// It is direct-mapped over a fixed array allocated once: a new key overwrites its slot, so the
// cache never allocates, never grows and leaves no garbage for the guest's GC, and a flood of
// new keys costs one hash each, as without it. Keys longer than a slot are not cached. It lives
// in the VM's own memory only; the raw key never reaches shared data or a log line.
type keyCache struct {
	slots    []keySlot
	uncached keyInfo // a key too long for a slot, for the request at hand
}

const (
	keyCacheSlots  = 4096 // a power of two
	keyCacheKeyLen = 64
)

type keySlot struct {
	n    uint16 // key length; 0 = empty
	key  [keyCacheKeyLen]byte
	info keyInfo
}

type keyInfo struct {
	ref    bucketRef
	plan   int // index into the plans when listed
	listed bool
}

// init allocates the slots once, when the configuration loads, so memory is flat from then on.
func (c *keyCache) init() { c.slots = make([]keySlot, keyCacheSlots) }

// find returns key's slot and whether it holds key. A key found there was valid when it was
// cached, so a hit needs no validation.
func (c *keyCache) find(key []byte) (*keySlot, bool) {
	s := &c.slots[slotHash(key)&(keyCacheSlots-1)]
	return s, int(s.n) == len(key) && string(s.key[:s.n]) == string(key)
}

// fill hashes a valid key that find missed, caching it in its slot when it fits there.
func (c *keyCache) fill(s *keySlot, key []byte, rl *config.RateLimit, t *table) *keyInfo {
	info := &c.uncached
	if len(key) <= keyCacheKeyLen {
		s.n = uint16(copy(s.key[:], key))
		info = &s.info
	}
	digest := sha256.Sum256(key)
	t.ref(&digest, &info.ref)
	info.plan, info.listed = rl.Keys[digest]
	return info
}

// slotHash is FNV-1a over 8-byte words (the last word overlapping the one before it), folded so
// that the low bits depend on all of it: cheap in Wasm, and a collision only costs a SHA-256.
func slotHash(key []byte) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037) ^ uint64(len(key))
	n := len(key)
	if n < 8 {
		for _, b := range key {
			h = (h ^ uint64(b)) * prime
		}
	} else {
		for i := 0; i+8 <= n; i += 8 {
			h = (h ^ binary.LittleEndian.Uint64(key[i:])) * prime
		}
		h = (h ^ binary.LittleEndian.Uint64(key[n-8:])) * prime
	}
	return h ^ h>>32
}

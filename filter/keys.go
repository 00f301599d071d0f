package filter

import (
	"crypto/sha256"

	"github.com/kojihq/koji-edge/config"
)

// keyCache remembers, per VM, what the SHA-256 of a recently seen API key says: its digest
// (which picks the shared-data bucket and fingerprint) and its entry in the configured keys.
// Hashing is the largest single cost of a counted request inside the VM, and clients send the
// same key again and again.
//
// It is direct-mapped over a fixed array allocated once: a new key overwrites its slot, so the
// cache never allocates, never grows and leaves no garbage for the guest's GC, and a flood of
// new keys costs one hash each, as without it. Keys longer than a slot are not cached. It lives
// in the VM's own memory only; the raw key never reaches shared data or a log line.
type keyCache struct {
	slots []keySlot
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
	digest [32]byte
	plan   int // index into the plans when listed
	listed bool
}

// init allocates the slots once, when the configuration loads, so memory is flat from then on.
func (c *keyCache) init() { c.slots = make([]keySlot, keyCacheSlots) }

func (c *keyCache) lookup(key []byte, rl *config.RateLimit) keyInfo {
	// FNV-1a picks the slot: cheap in Wasm, and a collision only costs a hash.
	h := uint32(2166136261)
	for _, b := range key {
		h = (h ^ uint32(b)) * 16777619
	}
	s := &c.slots[h&(keyCacheSlots-1)]
	if int(s.n) == len(key) && string(s.key[:s.n]) == string(key) {
		return s.info
	}
	info := keyInfo{digest: sha256.Sum256(key)}
	info.plan, info.listed = rl.Keys[info.digest]
	if len(key) <= keyCacheKeyLen {
		s.n = uint16(copy(s.key[:], key))
		s.info = info
	}
	return info
}

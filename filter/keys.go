package filter

import (
	"crypto/sha256"

	"github.com/kojihq/koji-edge/config"
)

// keyCache remembers, per VM, what the SHA-256 of a recently seen API key says: its digest
// (which picks the shared-data bucket and fingerprint) and its entry in the configured keys.
// Hashing is the largest single cost of a counted request inside the VM, and clients send the
// same key again and again. The cache is bounded: when it is full it starts over, so a flood
// of new keys costs a hash each, as without it, and memory stays flat. It lives in the VM's
// own memory only; the raw key never reaches shared data or a log line.
type keyCache struct {
	m map[string]keyInfo
}

type keyInfo struct {
	digest [32]byte
	plan   int // index into the plans when listed
	listed bool
}

const keyCacheSize = 4096

func (c *keyCache) lookup(key []byte, rl *config.RateLimit) keyInfo {
	if c.m == nil {
		c.m = make(map[string]keyInfo, keyCacheSize)
	}
	if info, ok := c.m[string(key)]; ok { // no allocation: the lookup converts in place
		return info
	}
	info := keyInfo{digest: sha256.Sum256(key)}
	info.plan, info.listed = rl.Keys[info.digest]
	if len(c.m) >= keyCacheSize {
		clear(c.m)
	}
	c.m[string(key)] = info
	return info
}

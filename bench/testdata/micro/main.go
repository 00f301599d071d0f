// Command micro times pieces of the filter's hot path inside the guest (bench.BenchmarkGuestPieces): each
// export runs one piece n times.
package main

import (
	"crypto/sha256"

	"github.com/kojihq/koji-edge/limiter"
	"github.com/kojihq/koji-edge/proxywasm"
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"
)

func init() { proxywasm.SetVMContext(&types.DefaultVMContext{}) }
func main() {}

var key = []byte("bench-key-0001")
var sink [32]byte

//go:wasmexport micro_sha
func microSha(n uint32) {
	for i := uint32(0); i < n; i++ {
		sink = sha256.Sum256(key)
	}
}

var lim = []limiter.Limit{{Requests: 1 << 30, Window: 86400e9}}
var state []byte
var dst = make([]byte, 0, limiter.MaxBucketSize)
var buf = make([]byte, 0, limiter.MaxBucketSize)

//go:wasmexport micro_apply
func microApply(n uint32) {
	now := int64(1.7e18)
	for i := uint32(0); i < n; i++ {
		now += 1e6
		_, next := limiter.Apply(dst, state, 2, lim, now)
		state = append(buf[:0], next...)
	}
}

//go:wasmexport micro_empty
func microEmpty(n uint32) {}

var smap = map[string]int{"bench-key-0001": 1, "other": 2}
var dmap = map[[32]byte]int{{1}: 1}
var imap = map[uint32]*int{}
var isink int

//go:wasmexport micro_strmap
func microStrmap(n uint32) {
	for i := uint32(0); i < n; i++ {
		isink += smap[string(key)]
	}
}

//go:wasmexport micro_digestmap
func microDigestmap(n uint32) {
	for i := uint32(0); i < n; i++ {
		isink += dmap[sink]
	}
}

//go:wasmexport micro_intmap
func microIntmap(n uint32) {
	for i := uint32(0); i < n; i++ {
		imap[i+100] = &isink
		delete(imap, i+100)
	}
}

var pairsBuf = func() []byte {
	var p proxywasm.Pairs
	for _, kv := range [][2]string{{":authority", "api.example"}, {":path", "/v1/things"}, {":method", "GET"}, {":scheme", "http"},
		{"user-agent", "bench"}, {"accept", "*/*"}, {"x-api-key", "bench-key-0001"}, {"origin", "https://app.example"},
		{"x-forwarded-proto", "http"}, {"x-request-id", "0123456789abcdef0123456789abcdef"}} {
		p.Add(kv[0], kv[1])
	}
	return append([]byte(nil), p.Encode()...)
}()

//go:wasmexport micro_pairs_iter
func microPairsIter(n uint32) {
	for i := uint32(0); i < n; i++ {
		for k := range proxywasm.AllPairs(pairsBuf) {
			isink += len(k)
		}
	}
}

//go:wasmexport micro_pairs_switch
func microPairsSwitch(n uint32) {
	for i := uint32(0); i < n; i++ {
		for k, v := range proxywasm.AllPairs(pairsBuf) {
			switch string(k) {
			case ":method":
				isink += len(v)
			case "origin":
				isink += len(v)
			case "access-control-request-method":
				isink += len(v)
			case "access-control-request-headers":
				isink++
			case "authorization":
				isink++
			default:
				if string(k) == "x-api-key" {
					isink += 2
				}
			}
		}
	}
}

var shKey = []byte("koji-edge/micro")

//go:wasmexport micro_shared_get
func microSharedGet(n uint32) {
	proxywasm.SetSharedData(shKey, make([]byte, 64), 0)
	for i := uint32(0); i < n; i++ {
		proxywasm.ReleaseHostBuffers()
		proxywasm.SharedData(shKey)
	}
}

var missing = []byte("koji-edge/missing")

//go:wasmexport micro_shared_missing
func microSharedMissing(n uint32) {
	for i := uint32(0); i < n; i++ {
		proxywasm.ReleaseHostBuffers()
		proxywasm.SharedData(missing)
	}
}

//go:wasmexport micro_clock
func microClock(n uint32) {
	for i := uint32(0); i < n; i++ {
		proxywasm.NowNanos()
	}
}

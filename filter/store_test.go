package filter

import (
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/kojihq/koji-edge/config"
)

// A key's bucket reference is cached in a fixed array: the bucket keys of every table size the
// configuration allows must fit it, and read "koji-edge/<buckets>/<index in hex>".
func TestBucketRefNamesTheBucket(t *testing.T) {
	largest := (&config.RateLimit{MaxTrackedKeys: config.MaxTrackedKeys}).Buckets()
	smallest := (&config.RateLimit{MaxTrackedKeys: config.MinTrackedKeys}).Buckets()
	for _, buckets := range []uint32{smallest, 250, 50_000, largest} {
		var tb table
		tb.init(buckets)
		for _, bucket := range []uint32{0, buckets / 2, buckets - 1} {
			var digest [32]byte
			binary.LittleEndian.PutUint64(digest[0:], uint64(bucket)+3*uint64(buckets)) // picked modulo buckets
			binary.LittleEndian.PutUint64(digest[8:], 0xfeedface)
			var r bucketRef
			tb.ref(&digest, &r)
			want := "koji-edge/" + strconv.FormatUint(uint64(buckets), 10) + "/" + strconv.FormatUint(uint64(bucket), 16)
			if got := string(r.sharedKey()); got != want || r.fp != 0xfeedface {
				t.Errorf("buckets %d, bucket %d: key %q fp %#x, want %q fp 0xfeedface", buckets, bucket, got, r.fp, want)
			}
		}
	}
}

package filter_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/host"
)

var hashedKey = func() string { s := sha256.Sum256([]byte("hashed-key")); return hex.EncodeToString(s[:]) }()

var demo = `{
  "rate_limit": {
    "plans": {
      "free":  {"requests": 3, "window": "60s"},
      "pro":   {"requests": 100, "window": "60s"},
      "burst": {"limits": [{"requests": 2, "window": "1s"}, {"requests": 5, "window": "1h"}]}
    },
    "default_plan": "free",
    "keys": {"pro-key": "pro", "sha256:` + hashedKey + `": "burst"},
    "plan_header": "x-plan",
    "max_tracked_keys": 1000
  },
  "cors": {
    "allowed_origins": ["https://app.example", "http://localhost:3000"],
    "allowed_methods": ["GET", "POST", "PATCH"],
    "allowed_headers": ["x-api-key", "content-type", "authorization"],
    "exposed_headers": ["x-request-id"],
    "max_age": "600s"
  }
}`

const rateLimitedBody = `{"error":"rate_limited","message":"Rate limit exceeded. Please retry after the indicated time."}`

func TestCountedResponsesCarryTheThreeHeaders(t *testing.T) {
	e := start(t, demo)
	for i := 0; i < 3; i++ {
		r := e.get("x-api-key", "k1")
		if r.Status != 200 {
			t.Fatalf("request %d: %d", i, r.Status)
		}
		once(t, r, "x-ratelimit-limit", "3")
		once(t, r, "x-ratelimit-remaining", strconv.Itoa(2-i))
		// The first request's sub-window (6 s long) is released 66 s after t0.
		once(t, r, "x-ratelimit-reset", strconv.FormatInt(t0.Unix()+66, 10))
	}
	if e.up.count() != 3 || e.metric("koji_edge_requests_allowed") != 3 {
		t.Fatal("counted requests must reach the upstream and the metric")
	}
}

func TestThe429(t *testing.T) {
	e := start(t, demo)
	for i := 0; i < 3; i++ {
		e.get("x-api-key", "k1")
	}
	r := e.get("x-api-key", "k1")
	if r.Status != 429 || string(r.Body) != rateLimitedBody || !r.LocalReply {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
	once(t, r, "content-type", "application/json")
	once(t, r, "retry-after", "66")
	once(t, r, "x-ratelimit-limit", "3")
	once(t, r, "x-ratelimit-remaining", "0")
	once(t, r, "x-ratelimit-reset", strconv.FormatInt(t0.Unix()+66, 10))
	if e.up.count() != 3 || e.metric("koji_edge_requests_rate_limited") != 1 {
		t.Fatal("a 429 must not reach the upstream")
	}
}

func TestRetryAfterIsHonestOnTheHostClock(t *testing.T) {
	e := start(t, demo)
	e.clock.Advance(1500 * time.Millisecond) // not on a sub-window boundary
	for i := 0; i < 3; i++ {
		e.get("x-api-key", "k2")
		e.clock.Advance(2 * time.Second)
	}
	r := e.get("x-api-key", "k2")
	ra, err := strconv.Atoi(r.Get("retry-after"))
	if r.Status != 429 || err != nil || ra < 1 {
		t.Fatalf("%d retry-after %q", r.Status, r.Get("retry-after"))
	}
	// One second less is not enough; the full wait is.
	e.clock.Advance(time.Duration(ra-1) * time.Second)
	if r := e.get("x-api-key", "k2"); r.Status != 429 {
		t.Fatalf("admitted a second before Retry-After said (%d s)", ra)
	}
	e.clock.Advance(time.Second)
	if r := e.get("x-api-key", "k2"); r.Status != 200 {
		t.Fatalf("waited Retry-After (%d s) and got %d", ra, r.Status)
	}
}

func TestRejectedRequestsConsumeNothing(t *testing.T) {
	e := start(t, demo)
	for i := 0; i < 3; i++ {
		e.get("x-api-key", "k3")
	}
	for i := 0; i < 50; i++ {
		e.clock.Advance(time.Second)
		e.get("x-api-key", "k3")
	}
	e.clock.Set(t0.Add(66 * time.Second)) // all three released, whatever the 50 rejections did
	r := e.get("x-api-key", "k3")
	if r.Status != 200 || r.Get("x-ratelimit-remaining") != "2" {
		t.Fatalf("%d remaining %s", r.Status, r.Get("x-ratelimit-remaining"))
	}
}

func TestSeveralLimitsReportTheTightestAndRetryAfterCoversAll(t *testing.T) {
	e := start(t, demo)
	key := []string{"x-api-key", "hashed-key"} // the burst plan, via its sha256: entry
	r1 := e.get(key...)
	r2 := e.get(key...)
	if r1.Get("x-ratelimit-limit") != "2" || r2.Get("x-ratelimit-remaining") != "0" {
		t.Fatalf("per-second limit not reported: %v / %v", r1.Headers, r2.Headers)
	}
	r3 := e.get(key...)
	if r3.Status != 429 || r3.Get("retry-after") != "2" || r3.Get("x-ratelimit-limit") != "2" {
		t.Fatalf("%d %v", r3.Status, r3.Headers)
	}
	e.clock.Advance(2 * time.Second)
	e.get(key...)
	e.get(key...)
	e.clock.Advance(2 * time.Second)
	r := e.get(key...) // fifth in the hour
	if r.Status != 200 || r.Get("x-ratelimit-limit") != "5" || r.Get("x-ratelimit-remaining") != "0" {
		t.Fatalf("hour limit must be reported once it is the tightest: %d %v", r.Status, r.Headers)
	}
	e.clock.Advance(2 * time.Second)
	r = e.get(key...)
	ra, _ := strconv.Atoi(r.Get("retry-after"))
	if r.Status != 429 || ra < 3590 || ra > 3600+360 {
		t.Fatalf("Retry-After must wait for every limit: %d %s", r.Status, r.Get("retry-after"))
	}
}

func TestKeyFromHeadersInOrderThenBearer(t *testing.T) {
	e := start(t, `{"rate_limit":{"key":{"headers":["x-api-key","x-alt-key"]},"plans":{"free":{"requests":100,"window":"60s"},"pro":{"requests":1000,"window":"60s"}},"default_plan":"free","keys":{"pro-key":"pro"}}}`)
	for _, c := range []struct {
		headers []string
		limit   string
	}{
		{[]string{"x-api-key", "pro-key"}, "1000"},
		{[]string{"x-alt-key", "pro-key"}, "1000"},
		{[]string{"x-api-key", "", "x-alt-key", "pro-key"}, "1000"}, // empty counts as absent
		{[]string{"x-api-key", "other", "x-alt-key", "pro-key"}, "100"},
		{[]string{"x-alt-key", "pro-key", "x-api-key", "other"}, "100"}, // the configured order ranks, not the request's
		{[]string{"x-api-key", "", "x-api-key", "pro-key"}, "1000"},     // the first non-empty line of a header
		{[]string{"x-api-key", "pro-key", "x-api-key", "other"}, "1000"},
		{[]string{"authorization", "Bearer pro-key"}, "1000"},
		{[]string{"authorization", "bEaReR   pro-key"}, "1000"},
		{[]string{"x-api-key", "other", "authorization", "Bearer pro-key"}, "100"},
	} {
		r := e.get(c.headers...)
		if r.Status != 200 || r.Get("x-ratelimit-limit") != c.limit {
			t.Errorf("%q: %d limit %s, want %s", c.headers, r.Status, r.Get("x-ratelimit-limit"), c.limit)
		}
	}
}

// Header names of any length work as key and plan headers (the filter skips comparisons by
// name length, which must not skip these).
func TestLongKeyAndPlanHeaderNames(t *testing.T) {
	keyHeader, planHeader := "x-"+strings.Repeat("k", 70), "x-"+strings.Repeat("p", 61)
	e := start(t, `{"rate_limit":{"key":{"headers":["`+keyHeader+`"]},"plan_header":"`+planHeader+`","plans":{"free":{"requests":100,"window":"60s"},"pro":{"requests":1000,"window":"60s"}},"default_plan":"free"}}`)
	r := e.get(keyHeader, "k1", planHeader, "pro")
	if r.Status != 200 || r.Get("x-ratelimit-limit") != "1000" {
		t.Fatalf("status %d, limit %q", r.Status, r.Get("x-ratelimit-limit"))
	}
}

func TestMissingAndInvalidKeys(t *testing.T) {
	e := start(t, demo)
	missing := `{"error":"missing_api_key","message":"An API key is required. Send it in the X-API-Key header."}`
	for _, h := range [][]string{nil, {"x-api-key", ""}, {"authorization", "Basic dTpw"}, {"authorization", "Bearer "}} {
		r := e.get(h...)
		if r.Status != 401 || string(r.Body) != missing {
			t.Errorf("%q: %d %s", h, r.Status, r.Body)
		}
		once(t, r, "content-type", "application/json")
		absent(t, r, "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "retry-after")
	}
	for _, key := range []string{strings.Repeat("k", 257), "has space", "tab\there", "caf\xc3\xa9", "nul\x00"} {
		r := e.get("x-api-key", key)
		if r.Status != 401 || !strings.Contains(string(r.Body), `"error":"invalid_api_key"`) {
			t.Errorf("%q: %d %s", key, r.Status, r.Body)
		}
		absent(t, r, "x-ratelimit-limit")
	}
	if r := e.get("x-api-key", strings.Repeat("k", 256)); r.Status != 200 {
		t.Errorf("a 256-byte key is valid: %d", r.Status)
	}
	if e.up.count() != 1 || e.metric("koji_edge_requests_key_rejected") != 9 {
		t.Fatalf("upstream %d, key_rejected %d", e.up.count(), e.metric("koji_edge_requests_key_rejected"))
	}
}

func TestMissingKeyAllowIsPassedUncounted(t *testing.T) {
	e := start(t, `{"rate_limit":{"plans":{"free":{"requests":1,"window":"60s"}},"missing_key":"allow"}}`)
	for i := 0; i < 5; i++ {
		r := e.get()
		if r.Status != 200 {
			t.Fatal(r.Status)
		}
		absent(t, r, "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")
	}
	if r := e.get("x-api-key", "k"); r.Status != 200 || r.Get("x-ratelimit-remaining") != "0" {
		t.Fatalf("keyed requests are still counted: %d %v", r.Status, r.Headers)
	}
	if e.metric("koji_edge_requests_allowed") != 1 {
		t.Fatal("unkeyed requests must not count")
	}
}

func TestPlanHeaderAndFallbacks(t *testing.T) {
	e := start(t, demo)
	for _, c := range []struct {
		headers []string
		limit   string
	}{
		{[]string{"x-api-key", "a", "x-plan", "pro"}, "100"},
		{[]string{"x-api-key", "b", "x-plan", "gold"}, "3"},         // unknown plan name falls back
		{[]string{"x-api-key", "pro-key", "x-plan", "free"}, "100"}, // the keys table comes first
		{[]string{"x-api-key", "c"}, "3"},
	} {
		if r := e.get(c.headers...); r.Get("x-ratelimit-limit") != c.limit {
			t.Errorf("%q: limit %s, want %s", c.headers, r.Get("x-ratelimit-limit"), c.limit)
		}
	}
}

func TestUpstreamRateLimitHeadersAreReplaced(t *testing.T) {
	e := start(t, demo)
	e.up.headers = []host.Header{{"X-RateLimit-Limit", "999"}, {"x-ratelimit-remaining", "999"}, {"x-ratelimit-remaining", "998"}}
	r := e.get("x-api-key", "k")
	once(t, r, "x-ratelimit-limit", "3")
	once(t, r, "x-ratelimit-remaining", "2")
}

// Four workers in parallel on one key at one instant admit exactly `requests`.
func TestFourWorkersAdmitExactlyTheLimit(t *testing.T) {
	e := start(t, `{"rate_limit":{"plans":{"p":{"requests":100,"window":"60s"}}}}`, workers(4))
	var ok, limited atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					r, err := e.h.DoOn(w, &host.Request{Method: "GET", Path: "/", Headers: []host.Header{{"x-api-key", "shared"}}}, e.up.serve)
					if err != nil {
						t.Error(err)
						return
					}
					switch r.Status {
					case 200:
						ok.Add(1)
					case 429:
						limited.Add(1)
					default:
						t.Errorf("status %d", r.Status)
					}
				}
			}(w)
		}
	}
	wg.Wait()
	if ok.Load() != 100 || limited.Load() != 300 {
		t.Fatalf("admitted %d, limited %d: want exactly 100 admitted", ok.Load(), limited.Load())
	}
	t.Logf("CAS conflicts resolved: %d", e.metric("koji_edge_cas_conflicts"))
	if e.metric("koji_edge_failed_open") != 0 {
		t.Fatal("retries were exhausted")
	}
}

// A flood of random keys cannot grow shared data past the table.
func TestKeyFloodStaysInTheTable(t *testing.T) {
	e := start(t, `{"rate_limit":{"plans":{"p":{"requests":5,"window":"60s"}},"max_tracked_keys":1000}}`)
	n := 200_000
	if testing.Short() {
		n = 20_000
	}
	var wg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 2 {
				if _, err := e.h.DoOn(w, &host.Request{Method: "GET", Path: "/", Headers: []host.Header{{"x-api-key", "flood-" + strconv.Itoa(i)}}}, nil); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	keys := e.h.Store.Keys("koji-test")
	if len(keys) > 250+1 {
		t.Fatalf("%d shared-data keys for a table of 250 buckets (+1 anchor)", len(keys))
	}
	if b := e.h.Store.Bytes("koji-test"); b > 251*(64*4+24) {
		t.Fatalf("shared data holds %d bytes", b)
	}
	for _, k := range keys {
		if strings.Contains(k, "flood") {
			t.Fatalf("raw key in shared data: %s", k)
		}
	}
	for _, l := range e.h.Logs() {
		if strings.Contains(l.Message, "flood-") {
			t.Fatalf("raw key in the log: %s", l.Message)
		}
	}
	t.Logf("%d requests, %d shared-data keys, %d bytes", n, len(keys), e.h.Store.Bytes("koji-test"))
}

func TestStoreFaultsFollowFailureMode(t *testing.T) {
	for _, c := range []struct {
		mode   string
		faults host.Faults
		status int
	}{
		{"open", host.Faults{GetStatus: host.StatusInternalFailure}, 200},
		{"closed", host.Faults{GetStatus: host.StatusInternalFailure}, 503},
		{"open", host.Faults{AlwaysMismatch: true}, 200},
		{"closed", host.Faults{AlwaysMismatch: true}, 503},
		{"closed", host.Faults{SetStatus: host.StatusInternalFailure}, 503},
	} {
		e := start(t, `{"rate_limit":{"plans":{"p":{"requests":5,"window":"60s"}},"failure_mode":"`+c.mode+`"},"cors":{"allowed_origins":["https://app.example"]}}`)
		e.get("x-api-key", "k") // the bucket exists, so AlwaysMismatch hits a conditional write
		e.h.Store.SetFaults(c.faults)
		r := e.get("x-api-key", "k", "origin", "https://app.example")
		if r.Status != c.status {
			t.Errorf("%s %+v: status %d, want %d", c.mode, c.faults, r.Status, c.status)
			continue
		}
		absent(t, r, "x-ratelimit-limit")
		once(t, r, "access-control-allow-origin", "https://app.example")
		if c.status == 503 {
			once(t, r, "content-type", "application/json")
			once(t, r, "retry-after", "1")
			if !strings.Contains(string(r.Body), `"error":"rate_limit_unavailable"`) {
				t.Errorf("503 body %s", r.Body)
			}
		} else if e.metric("koji_edge_failed_open") != 1 {
			t.Error("failed_open not counted")
		}
		if e.metric("koji_edge_store_failures") != 1 {
			t.Errorf("store_failures %d", e.metric("koji_edge_store_failures"))
		}
		if c.faults.AlwaysMismatch && e.metric("koji_edge_cas_conflicts") == 0 {
			t.Error("cas_conflicts not counted")
		}
		logged := false
		for _, l := range e.h.Logs() {
			logged = logged || (l.Level == host.LevelError && strings.Contains(l.Message, "could not count a request"))
		}
		if !logged {
			t.Error("store failure not logged")
		}
	}
}

func TestReloadThatChangesPlansKeepsCounts(t *testing.T) {
	e := start(t, demo)
	for i := 0; i < 3; i++ {
		e.get("x-api-key", "upgrader")
	}
	cfg := strings.Replace(demo, `"keys": {"pro-key": "pro",`, `"keys": {"upgrader": "pro", "pro-key": "pro",`, 1)
	if err := e.h.Reconfigure([]byte(cfg)); err != nil {
		t.Fatal(err)
	}
	r := e.get("x-api-key", "upgrader")
	if r.Get("x-ratelimit-limit") != "100" || r.Get("x-ratelimit-remaining") != "96" {
		t.Fatalf("after the upgrade: %v", r.Headers)
	}
	if err := e.h.Reconfigure([]byte(`{"rate_limit":{"plans":{}}}`)); err == nil {
		t.Fatal("a bad reload must be refused")
	}
	if r := e.get("x-api-key", "upgrader"); r.Get("x-ratelimit-remaining") != "95" {
		t.Fatalf("a refused reload must leave the running plugin alone: %v", r.Headers)
	}
}

func TestReplacedWorkerJoinsTheSameCounts(t *testing.T) {
	e := start(t, demo)
	e.h.DoOn(0, &host.Request{Method: "GET", Path: "/", Headers: []host.Header{{"x-api-key", "k"}}}, nil)
	if err := e.h.ReplaceWorker(0); err != nil {
		t.Fatal(err)
	}
	r, _ := e.h.DoOn(0, &host.Request{Method: "GET", Path: "/", Headers: []host.Header{{"x-api-key", "k"}}}, nil)
	if r.Get("x-ratelimit-remaining") != "1" {
		t.Fatalf("a fresh VM must see the shared counts: %v", r.Headers)
	}
}

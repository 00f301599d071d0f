// Package soak drives the koji-edge .wasm in the repo's host for a long time and checks that
// nothing traps, the Go runtime never calls poll_oneoff (Envoy 1.33–1.38 answer ENOSYS and it
// dies), linear memory levels off, and what was admitted matches an exact reference.
//
//	make soak                      10 million requests (KOJI_SOAK_REQUESTS)
//	go test ./soak/                a short run, as make test does
package soak

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/config"
	"github.com/kojihq/koji-edge/host"
	"github.com/kojihq/koji-edge/internal/wasmbuild"
	"github.com/kojihq/koji-edge/limiter"
)

var t0 = time.Unix(1_767_225_600, 0)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// soakConfig: four plans with windows from 1 s to 1 h, some keys listed, a plan header,
// failure_mode closed so that a store fault never admits anything.
func soakConfig(listed map[string]string) string {
	var keys []string
	for k, p := range listed {
		keys = append(keys, strconv.Quote(k)+":"+strconv.Quote(p))
	}
	return `{
  "rate_limit": {
    "plans": {
      "free":   {"requests": 20, "window": "10s"},
      "burst":  {"limits": [{"requests": 5, "window": "1s"}, {"requests": 40, "window": "30s"}]},
      "pro":    {"requests": 300, "window": "60s"},
      "hourly": {"requests": 1000, "window": "1h"}
    },
    "default_plan": "free",
    "keys": {` + strings.Join(keys, ",") + `},
    "plan_header": "x-plan",
    "max_tracked_keys": 200000,
    "failure_mode": "closed"
  },
  "cors": {"allowed_origins": ["https://app.example", "http://localhost:3000"], "max_age": "60s"}
}`
}

type request struct {
	key, plan, origin string
	preflight, big    bool
}

type outcome struct {
	key     string
	counted bool // reached the limiter: 200 with headers, or 429
	admit   bool
}

// reference is the exact model: the pure limiter, one state per key, fed the counted
// requests of each instant. At one instant the order among a key's requests does not change
// how many are admitted, so parallel workers must agree with it exactly.
type reference struct {
	plans map[string][]limiter.Limit
	state map[string][]byte
}

func (r *reference) admitted(key, plan string, n int, now int64) int {
	got := 0
	fp := binary.LittleEndian.Uint64(sha(key)[8:16])
	for i := 0; i < n; i++ {
		d, next := limiter.Apply(nil, r.state[key], fp, r.plans[plan], now)
		if next != nil {
			r.state[key] = append([]byte(nil), next...)
		}
		if d.Admit {
			got++
		}
	}
	return got
}

func sha(k string) []byte { s := sha256.Sum256([]byte(k)); return s[:] }

func TestSoak(t *testing.T) {
	total := envInt("KOJI_SOAK_REQUESTS", 200_000)
	workers := envInt("KOJI_SOAK_WORKERS", 2)
	rng := rand.New(rand.NewSource(int64(envInt("KOJI_SOAK_SEED", 1))))

	planNames := []string{"free", "burst", "pro", "hourly"}
	listed := map[string]string{}
	keys := make([]string, 3000)
	keyPlan := map[string]string{}
	for i := range keys {
		keys[i] = fmt.Sprintf("soak-%04d-%x", i, rng.Int63())
		switch i % 3 {
		case 0: // listed
			keyPlan[keys[i]] = planNames[i%4]
			listed[keys[i]] = keyPlan[keys[i]]
		case 1: // the plan a trusted filter put in the header
			keyPlan[keys[i]] = planNames[(i/3)%4]
		default: // the default plan
		}
	}
	cfgText := soakConfig(listed)
	cfg, problems := config.Parse([]byte(cfgText))
	if problems != nil {
		t.Fatal(problems)
	}
	ref := &reference{plans: map[string][]limiter.Limit{}, state: map[string][]byte{}}
	for _, p := range cfg.RateLimit.Plans {
		ref.plans[p.Name] = p.Limits
	}

	clock := host.NewManualClock(t0)
	h, err := host.New(wasmbuild.Read(t, wasmbuild.Filter(t)), host.Options{Workers: workers, VMID: "soak",
		Configuration: []byte(cfgText), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()

	bigHeader := strings.Repeat("x", 32<<10)
	const batch = 512
	var (
		sent, admitted, limited, preflights, failed int
		memory                                      []uint32
		replaced                                    int
	)
	start := time.Now()
	for sent < total {
		// One instant: a batch of requests spread over the workers in parallel.
		reqs := make([]request, batch)
		for i := range reqs {
			// Hot keys get most traffic (rate limits bite), plus a stream of one-off keys that
			// churns the VM's key cache and the table (garbage for the guest's GC).
			var k string
			switch x := rng.Intn(100); {
			case x < 60:
				k = keys[rng.Intn(50)]
			case x < 90:
				k = keys[rng.Intn(len(keys))]
			default:
				k = "oneoff-" + strconv.FormatInt(rng.Int63(), 36)
			}
			// A key's plan is fixed (at one instant, the order of requests with different plans
			// would change the outcome): listed, from the header, or the default.
			r := request{key: k, plan: keyPlan[k]}
			if _, isListed := listed[k]; isListed {
				r.plan = ""
			}
			if strings.HasPrefix(k, "oneoff-") {
				r.plan = planNames[rng.Intn(4)]
			}
			switch rng.Intn(4) {
			case 0:
				r.origin = "https://app.example"
			case 1:
				r.origin = "https://evil.example"
			}
			r.preflight = r.origin != "" && rng.Intn(10) == 0
			r.big = rng.Intn(2000) == 0
			reqs[i] = r
		}
		outcomes := make([]outcome, batch)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < batch; i += workers {
					outcomes[i] = do(t, h, w, reqs[i], bigHeader)
				}
			}(w)
		}
		wg.Wait()
		if t.Failed() {
			return
		}

		// Compare with the reference, key by key.
		now := clock.Now().UnixNano()
		type tally struct {
			plan            string
			counted, admits int
		}
		byKey := map[string]*tally{}
		var order []string
		for i, o := range outcomes {
			if reqs[i].preflight {
				preflights++
				continue
			}
			if !o.counted {
				failed++
				continue
			}
			tl := byKey[o.key]
			if tl == nil {
				plan := reqs[i].plan
				if p, ok := listed[o.key]; ok {
					plan = p
				} else if plan == "" {
					plan = "free"
				}
				tl = &tally{plan: plan}
				byKey[o.key] = tl
				order = append(order, o.key)
			}
			tl.counted++
			if o.admit {
				tl.admits++
				admitted++
			} else {
				limited++
			}
		}
		for _, k := range order {
			tl := byKey[k]
			if want := ref.admitted(k, tl.plan, tl.counted, now); want != tl.admits {
				t.Fatalf("at %v key %s (%s): admitted %d of %d, the exact reference admits %d",
					clock.Now().Sub(t0), k, tl.plan, tl.admits, tl.counted, want)
			}
		}
		sent += batch

		clock.Advance(time.Duration(1+rng.Intn(40)) * time.Millisecond)
		if sent%(total/20+1) < batch {
			memory = append(memory, h.Worker(0).MemoryBytes())
		}
		// Now and then a worker VM is replaced mid-traffic, as Envoy's FAIL_RELOAD does: the
		// fresh VM joins the same shared data, and the reference must still agree.
		if sent%(total/4+1) < batch && sent < total {
			if err := h.ReplaceWorker(workers - 1); err != nil {
				t.Fatal(err)
			}
			replaced++
		}
	}
	elapsed := time.Since(start)

	t.Logf("%d requests in %v (%d workers): %d admitted, %d rate limited, %d preflights, %d not counted; %d workers replaced",
		sent, elapsed.Round(time.Millisecond), workers, admitted, limited, preflights, failed, replaced)
	t.Logf("traps %d, poll_oneoff calls %d, shared-data keys %d", h.Traps(), h.PollOneoffCalls.Load(), h.Store.Len("soak"))
	t.Logf("linear memory of worker 0, every 5%% of the run (bytes): %v", memory)
	if h.Traps() != 0 {
		t.Fatalf("%d traps", h.Traps())
	}
	if n := h.PollOneoffCalls.Load(); n != 0 {
		t.Fatalf("%d poll_oneoff calls: Envoy 1.33-1.38 answer ENOSYS and the Go runtime dies", n)
	}
	if failed != 0 {
		t.Fatalf("%d requests were not counted with a healthy store", failed)
	}
	// Memory levels off: no growth over the second half of the run.
	if n := len(memory); n >= 4 && memory[n-1] > memory[n/2] {
		t.Fatalf("linear memory still grows in the second half: %v", memory)
	}
}

func do(t *testing.T, h *host.Host, w int, r request, big string) outcome {
	req := &host.Request{Method: "GET", Path: "/v1/things", Authority: "api.example",
		Headers: []host.Header{{"x-api-key", r.key}}}
	if r.origin != "" {
		req.Headers = append(req.Headers, host.Header{"origin", r.origin})
	}
	if r.plan != "" {
		req.Headers = append(req.Headers, host.Header{"x-plan", r.plan})
	}
	if r.big {
		req.Headers = append(req.Headers, host.Header{"x-padding", big})
	}
	if r.preflight {
		req.Method = "OPTIONS"
		req.Headers = append(req.Headers, host.Header{"access-control-request-method", "GET"})
	}
	resp, err := h.DoOn(w, req, nil)
	if err != nil {
		t.Error(err)
		return outcome{}
	}
	o := outcome{key: r.key}
	switch {
	case r.preflight:
		want := 403
		if r.origin == "https://app.example" {
			want = 204
		}
		if resp.Status != want || resp.Get("x-ratelimit-limit") != "" {
			t.Errorf("preflight from %s: %d %v", r.origin, resp.Status, resp.Headers)
		}
	case resp.Status == 200 && resp.Get("x-ratelimit-limit") != "":
		o.counted, o.admit = true, true
	case resp.Status == 429:
		o.counted = true
	default:
		t.Errorf("key %s: status %d %s", r.key, resp.Status, resp.Body)
	}
	return o
}

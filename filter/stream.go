package filter

import (
	"unsafe"

	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/config"
	"github.com/kojihq/koji-edge/limiter"
	"github.com/kojihq/koji-edge/proxywasm"
)

// Where a request's Origin stands with the CORS policy.
type originState uint8

const (
	noOrigin originState = iota
	originAllowed
	originRefused
)

// stream is one HTTP request's state: small, and reused through the plugin's free list.
type stream struct {
	types.DefaultHttpContext
	p *plugin
	// replied: the filter answered locally with complete headers; the response callback that
	// Envoy runs on that reply must leave it alone.
	replied bool
	counted bool
	origin  originState
	// originIdx is the allowed origin's index in the policy: the response echoes the
	// configured string, so nothing of the request is kept past the request callback.
	originIdx int
	d         limiter.Decision
	// One buffer per number header: a host may read a value after the call returns (the SDK's
	// emulator does), so no two headers share one.
	num [3]decimal
}

// OnDelete returns the stream to the free list. Only the flags are reset: every other field
// is written before it is read (d when counted is set, originIdx with originAllowed, num
// before a header is set).
func (s *stream) OnDelete() {
	s.replied, s.counted, s.origin = false, false, noOrigin
	s.p.free = append(s.p.free, s)
}

// request holds views of the request headers the filter reads; they point into host memory
// that is valid only during OnHttpRequestHeaders. It is kept small: it is zeroed per request.
type request struct {
	method, origin, acrm []byte
	origins              int
	acrh                 []byte // the first Access-Control-Request-Headers line
	acrhLines            int
	key                  []byte // the API key header that ranks first in the configuration
	keyRank              int
	authorization        []byte
	plan                 []byte
}

// read picks the headers the filter needs out of the request's header map. Most headers are
// none of them, and PairsIn passes over those whose name is not in names (readNames) without
// yielding them.
func (r *request) read(pairs []byte, rl *config.RateLimit, names proxywasm.NameSet) {
	for k, v := range proxywasm.PairsIn(pairs, names) {
		switch string(k) {
		case ":method":
			r.method = v
		case "origin":
			r.origin = v
			r.origins++
		case "access-control-request-method":
			r.acrm = v
		case "access-control-request-headers":
			if r.acrhLines == 0 {
				r.acrh = v
			}
			r.acrhLines++
		case "authorization":
			if r.authorization == nil {
				r.authorization = v
			}
		default:
			if rl != nil {
				r.keyOrPlan(k, v, rl)
			}
		}
	}
}

// keyOrPlan takes a configured key header or the plan header. Of the key headers, the first
// non-empty value of the highest-ranked one wins.
func (r *request) keyOrPlan(k, v []byte, rl *config.RateLimit) {
	for i, h := range rl.KeyHeaders {
		if h == string(k) && len(v) > 0 && (r.key == nil || i < r.keyRank) {
			r.key, r.keyRank = v, i
		}
	}
	if rl.PlanHeader != "" && rl.PlanHeader == string(k) && r.plan == nil {
		r.plan = v
	}
}

// readNames is the set of header names request.read takes.
func readNames(rl *config.RateLimit) proxywasm.NameSet {
	names := []string{":method", "origin", "access-control-request-method", "access-control-request-headers", "authorization"}
	if rl != nil {
		names = append(append(names, rl.KeyHeaders...), rl.PlanHeader)
	}
	return proxywasm.NewNameSet(names...)
}

func (s *stream) OnHttpRequestHeaders(int, bool) types.Action {
	cfg := s.p.cfg
	pairs, _ := proxywasm.HeaderPairs(proxywasm.MapRequestHeaders)
	var r request
	r.read(pairs, cfg.RateLimit, s.p.names)

	if policy := cfg.CORS; policy != nil && len(r.origin) > 0 {
		s.origin = originRefused
		// Envoy joins repeated Origin lines into one "a, b" value, which matches nothing; a host
		// that keeps them apart gets the same answer.
		if i, ok := policy.Match(r.origin); ok && r.origins == 1 {
			s.origin, s.originIdx = originAllowed, i
		}
		if len(r.acrm) > 0 && string(r.method) == "OPTIONS" {
			return s.preflight(&r, pairs)
		}
		if s.origin == originRefused {
			inc(&s.p.metrics.originRefused)
		}
	}

	rl := cfg.RateLimit
	if rl == nil {
		return types.ActionContinue
	}
	key, found := apiKey(&r, rl)
	if !found {
		if rl.MissingKey == config.AllowMissing {
			return types.ActionContinue
		}
		inc(&s.p.metrics.keyRejected)
		return s.localReply(401, rl.MissingKeyBody, 0)
	}
	slot, hit := s.p.keys.find(key)
	info := &slot.info
	if !hit {
		if !config.ValidKey(key) {
			inc(&s.p.metrics.keyRejected)
			return s.localReply(401, invalidKeyBody, 0)
		}
		info = s.p.keys.fill(slot, key, rl, &s.p.table)
	}
	plan := info.plan
	if !info.listed {
		plan = rl.DefaultPlan
		if r.plan != nil {
			if i, ok := rl.PlanByName(r.plan); ok {
				plan = i
			}
		}
	}
	now := proxywasm.NowNanos()
	res, st := s.p.table.admit(&s.d, &info.ref, rl.Plans[plan].Limits, now, &s.p.metrics)
	if res != stored {
		return s.storeFailure(now, res, st)
	}
	d := &s.d
	if d.Corrupt {
		s.p.log.error(now, "koji-edge: a shared-data bucket held unreadable data and was reset")
	}
	s.counted = true
	if !d.Admit {
		inc(&s.p.metrics.rateLimited)
		return s.localReply(429, rateLimitedBody, d.RetryAfter)
	}
	inc(&s.p.metrics.allowed)
	return types.ActionContinue
}

// apiKey returns the first configured header that is present and non-empty, else a Bearer
// token.
func apiKey(r *request, rl *config.RateLimit) ([]byte, bool) {
	if r.key != nil {
		return r.key, true
	}
	if rl.Bearer && len(r.authorization) > 7 && equalFold(r.authorization[:7], "bearer ") {
		tok := r.authorization[7:]
		for len(tok) > 0 && tok[0] == ' ' {
			tok = tok[1:]
		}
		for len(tok) > 0 && tok[len(tok)-1] == ' ' {
			tok = tok[:len(tok)-1]
		}
		if len(tok) > 0 {
			return tok, true
		}
	}
	return nil, false
}

func equalFold(b []byte, lower string) bool {
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func (s *stream) storeFailure(now int64, res storeResult, st proxywasm.Status) types.Action {
	m := &s.p.metrics
	inc(&m.storeFailures)
	why := "the shared-data store answered status " + itoa(uint64(st))
	if res == casExhausted {
		why = "compare-and-swap kept conflicting after " + itoa(maxCASAttempts) + " attempts"
	}
	if s.p.cfg.RateLimit.FailureMode == config.FailClosed {
		s.p.log.error(now, "koji-edge: could not count a request ("+why+"); answering 503 (failure_mode closed)")
		return s.localReply(503, unavailableBody, 1)
	}
	inc(&m.failedOpen)
	s.p.log.error(now, "koji-edge: could not count a request ("+why+"); letting it through (failure_mode open)")
	return types.ActionContinue
}

// OnPanic: a bug must never trap the VM (that would fail every later request on the worker).
// The request gets what failure_mode promises for a store that cannot answer.
func (s *stream) OnPanic(callback string, _ any) types.Action {
	if callback != "proxy_on_request_headers" || s.replied {
		return types.ActionContinue
	}
	if rl := s.p.cfg.RateLimit; rl != nil && rl.FailureMode == config.FailClosed {
		s.counted = false
		return s.localReply(503, unavailableBody, 1)
	}
	inc(&s.p.metrics.failedOpen)
	return types.ActionContinue
}

func (s *stream) OnHttpResponseHeaders(int, bool) types.Action {
	if s.replied {
		return types.ActionContinue
	}
	// CORS first: its walk of the response map then sees the upstream's headers only.
	if s.p.cfg.CORS != nil {
		s.corsResponse()
	}
	if s.counted {
		proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "x-ratelimit-limit", s.num[0].format(uint64(s.d.Limit)))
		proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "x-ratelimit-remaining", s.num[1].format(uint64(s.d.Remaining)))
		proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "x-ratelimit-reset", s.num[2].format(uint64(s.d.ResetUnix)))
	}
	return types.ActionContinue
}

// number formats v into the plugin's scratch buffer for a reply being assembled; the string
// is valid until the reply is sent.
func (p *plugin) number(v uint64) string {
	start := len(p.scratch)
	p.scratch = appendUint(p.scratch, v)
	b := p.scratch[start:]
	return unsafe.String(unsafe.SliceData(b), len(b))
}

const (
	rateLimitedBody = `{"error":"rate_limited","message":"Rate limit exceeded. Please retry after the indicated time."}`
	invalidKeyBody  = `{"error":"invalid_api_key","message":"The API key is malformed: it must be 1 to 256 visible ASCII characters."}`
	unavailableBody = `{"error":"rate_limit_unavailable","message":"Rate limiting is temporarily unavailable. Please retry shortly."}`
	preflightBody   = `{"error":"cors_preflight_refused","message":"This origin, method or request header is not allowed by the API's CORS policy."}`
)

// localReply answers with a JSON body and every header the response needs, so the response
// callback Envoy runs on this reply has nothing to add.
func (s *stream) localReply(status uint32, body string, retryAfter int64) types.Action {
	p := s.p
	p.reply.Reset()
	p.scratch = p.scratch[:0]
	p.reply.Add("content-type", "application/json")
	if retryAfter > 0 {
		p.reply.Add("retry-after", p.number(uint64(retryAfter)))
	}
	if s.counted {
		p.reply.Add("x-ratelimit-limit", p.number(uint64(s.d.Limit)))
		p.reply.Add("x-ratelimit-remaining", p.number(uint64(s.d.Remaining)))
		p.reply.Add("x-ratelimit-reset", p.number(uint64(s.d.ResetUnix)))
	}
	if policy := p.cfg.CORS; policy != nil {
		if s.origin == originAllowed {
			p.reply.Add("access-control-allow-origin", policy.Origins[s.originIdx])
			p.reply.Add("access-control-expose-headers", policy.ExposeHeaders)
			if policy.Credentials {
				p.reply.Add("access-control-allow-credentials", "true")
			}
		}
		p.reply.Add("vary", "Origin")
	}
	return s.send(status, body)
}

func (s *stream) send(status uint32, body string) types.Action {
	s.replied = true
	proxywasm.SendLocalResponse(status, s.p.reply.Encode(), body)
	return types.ActionPause
}

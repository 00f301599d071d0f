// Package config turns the plugin's JSON configuration (CONTRACT §2) into typed values, once,
// in proxy_on_configure: durations as nanoseconds, origins normalised, plans as limiter limits,
// API keys as SHA-256 digests. Every rule is checked and every problem reported on its own line,
// naming the field and the fix; unknown fields are problems too. It knows nothing of Proxy-Wasm.
package config

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/kojihq/koji-edge/cors"
	"github.com/kojihq/koji-edge/limiter"
)

// Config is a validated plugin configuration. A nil section is a feature turned off.
type Config struct {
	RateLimit *RateLimit
	CORS      *cors.Policy
	// Warnings are accepted entries the operator should know about.
	Warnings []string
}

// MissingKey says what to do with a request that carries no API key.
type MissingKey int

const (
	RejectMissing MissingKey = iota // 401 missing_api_key
	AllowMissing                    // passed on, not counted
)

// FailureMode says what to do when the shared-data store cannot be read or updated.
type FailureMode int

const (
	FailOpen   FailureMode = iota // pass the request, logged and counted
	FailClosed                    // 503
)

// Plan is a named set of limits; a request must fit every one.
type Plan struct {
	Name   string
	Limits []limiter.Limit
}

// RateLimit is the rate_limit section.
type RateLimit struct {
	KeyHeaders  []string // lower case, tried in order
	Bearer      bool
	Plans       []Plan
	DefaultPlan int
	// Keys maps SHA-256(API key) to a plan index: plain keys are hashed at load, so the raw
	// keys are not kept.
	Keys           map[[32]byte]int
	PlanHeader     string // lower case; "" when unset
	MissingKey     MissingKey
	MaxTrackedKeys int
	FailureMode    FailureMode
	// MissingKeyBody is the 401 body, naming the first key header.
	MissingKeyBody string
}

// Buckets is how many shared-data entries the table uses: each holds limiter.Ways keys.
func (r *RateLimit) Buckets() uint32 {
	return uint32((r.MaxTrackedKeys + limiter.Ways - 1) / limiter.Ways)
}

// PlanByName finds a plan; used for the plan_header value.
func (r *RateLimit) PlanByName(name []byte) (int, bool) {
	for i := range r.Plans {
		if r.Plans[i].Name == string(name) {
			return i, true
		}
	}
	return 0, false
}

// Bounds of the configuration, also listed in the README.
const (
	MinWindow         = time.Second
	MaxWindow         = 24 * time.Hour
	MaxRequests       = 1_000_000_000
	MinTrackedKeys    = 16
	MaxTrackedKeys    = 10_000_000
	DefaultTracked    = 100_000
	MaxKeyLength      = 256
	MaxMaxAge         = 86400 * time.Second
	ChromiumMaxAgeCap = 7200 * time.Second
)

// DefaultMethods is allowed_methods when the field is omitted.
var DefaultMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}

type parser struct {
	problems []string
	warnings []string
}

func (p *parser) fail(field, msg string) { p.problems = append(p.problems, field+": "+msg) }
func (p *parser) warn(field, msg string) { p.warnings = append(p.warnings, field+": "+msg) }

// Parse validates a configuration. It returns the configuration, or nil and one line per
// problem ("field: what is wrong and how to fix it").
func Parse(data []byte) (*Config, []string) {
	p := &parser{}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return nil, []string{"configuration: is empty; give at least one of \"rate_limit\" and \"cors\" (see the README)"}
	}
	if !gjson.Valid(text) {
		return nil, []string{"configuration: is not valid JSON; check quotes, commas and braces (Envoy passes the configuration string as it is)"}
	}
	root := gjson.Parse(text)
	if !root.IsObject() {
		return nil, []string{"configuration: must be a JSON object such as {\"rate_limit\": {...}, \"cors\": {...}}"}
	}
	fields := p.object("", root, "rate_limit", "cors")
	c := &Config{}
	rl, hasRL := fields["rate_limit"]
	cs, hasCORS := fields["cors"]
	if !hasRL && !hasCORS && len(p.problems) == 0 {
		p.fail("configuration", "has neither \"rate_limit\" nor \"cors\", so the filter would do nothing; add one")
	}
	if hasRL {
		c.RateLimit = p.rateLimit(rl)
	}
	if hasCORS {
		c.CORS = p.cors(cs, c.RateLimit)
	}
	if len(p.problems) > 0 {
		return nil, p.problems
	}
	c.Warnings = p.warnings
	return c, nil
}

// object checks that v is an object with only the allowed fields, each once, and returns them.
func (p *parser) object(path string, v gjson.Result, allowed ...string) map[string]gjson.Result {
	out := map[string]gjson.Result{}
	if !v.IsObject() {
		p.fail(path, "must be a JSON object, not "+describe(v))
		return out
	}
	v.ForEach(func(k, val gjson.Result) bool {
		name := k.String()
		field := join(path, name)
		switch {
		case !contains(allowed, name):
			msg := "unknown field"
			if s := suggest(name, allowed); s != "" {
				msg += "; did you mean \"" + s + "\"?"
			} else {
				msg += "; allowed fields are " + quoteList(allowed)
			}
			p.fail(field, msg)
		case hasKey(out, name):
			p.fail(field, "appears twice; keep one")
		default:
			out[name] = val
		}
		return true
	})
	return out
}

func (p *parser) rateLimit(v gjson.Result) *RateLimit {
	const path = "rate_limit"
	if !v.IsObject() {
		p.fail(path, "must be a JSON object, not "+describe(v))
		return nil
	}
	f := p.object(path, v, "key", "plans", "default_plan", "keys", "plan_header", "missing_key", "max_tracked_keys", "failure_mode")
	r := &RateLimit{KeyHeaders: []string{"x-api-key"}, Bearer: true, MaxTrackedKeys: DefaultTracked, DefaultPlan: -1}

	if key, ok := f["key"]; ok {
		kf := p.object(path+".key", key, "headers", "bearer")
		if h, ok := kf["headers"]; ok {
			r.KeyHeaders = p.headerNames(path+".key.headers", h)
		}
		if b, ok := kf["bearer"]; ok {
			r.Bearer = p.boolean(path+".key.bearer", b)
		}
		if len(r.KeyHeaders) == 0 && !r.Bearer {
			p.fail(path+".key", "finds no key: list at least one header in \"headers\" or set \"bearer\": true")
		}
	}

	plans, ok := f["plans"]
	switch {
	case !ok:
		p.fail(path+".plans", "is required: define at least one plan, such as {\"free\": {\"requests\": 100, \"window\": \"60s\"}}")
	case !plans.IsObject():
		p.fail(path+".plans", "must be an object of plan name to plan, not "+describe(plans))
	default:
		seen := map[string]bool{}
		plans.ForEach(func(k, pv gjson.Result) bool {
			name := k.String()
			field := path + ".plans." + name
			if name == "" {
				p.fail(path+".plans", "has a plan with an empty name")
				return true
			}
			if seen[name] {
				p.fail(field, "appears twice; keep one")
				return true
			}
			seen[name] = true
			if limits := p.plan(field, pv); limits != nil {
				r.Plans = append(r.Plans, Plan{Name: name, Limits: limits})
			}
			return true
		})
		if len(seen) == 0 {
			p.fail(path+".plans", "is empty: define at least one plan")
		}
	}

	if dp, ok := f["default_plan"]; ok {
		name := p.str(path+".default_plan", dp)
		if i, found := r.PlanByName([]byte(name)); found {
			r.DefaultPlan = i
		} else if plans.IsObject() && !plans.Get(gjson.Escape(name)).Exists() {
			p.fail(path+".default_plan", strconv.Quote(name)+" is not a plan; use one of "+quoteList(planNames(plans)))
		}
	} else if len(r.Plans) == 1 {
		r.DefaultPlan = 0
	} else if len(r.Plans) > 1 {
		p.fail(path+".default_plan", "is required when there are several plans; name one of "+quoteList(planNames(plans)))
	}

	if keys, ok := f["keys"]; ok {
		r.Keys = p.keys(path+".keys", keys, plans, r)
	}
	if ph, ok := f["plan_header"]; ok {
		if s := p.str(path+".plan_header", ph); s != "" {
			if !isToken(s) || s[0] == ':' {
				p.fail(path+".plan_header", strconv.Quote(s)+" is not a header name")
			} else {
				r.PlanHeader = strings.ToLower(s)
			}
		}
	}
	if mk, ok := f["missing_key"]; ok {
		switch s := p.str(path+".missing_key", mk); s {
		case "reject":
			r.MissingKey = RejectMissing
		case "allow":
			r.MissingKey = AllowMissing
		default:
			if mk.Type == gjson.String {
				p.fail(path+".missing_key", strconv.Quote(s)+" is not an option; use \"reject\" (401) or \"allow\" (passed on, not counted)")
			}
		}
	}
	if n, ok := f["max_tracked_keys"]; ok {
		if v, ok := p.integer(path+".max_tracked_keys", n, MinTrackedKeys, MaxTrackedKeys); ok {
			r.MaxTrackedKeys = int(v)
		}
	}
	if fm, ok := f["failure_mode"]; ok {
		switch s := p.str(path+".failure_mode", fm); s {
		case "open":
			r.FailureMode = FailOpen
		case "closed":
			r.FailureMode = FailClosed
		default:
			if fm.Type == gjson.String {
				p.fail(path+".failure_mode", strconv.Quote(s)+" is not an option; use \"open\" (let requests through) or \"closed\" (answer 503)")
			}
		}
	}
	r.MissingKeyBody = missingKeyBody(r)
	return r
}

// plan reads {requests, window} or {limits: [...]}.
func (p *parser) plan(field string, v gjson.Result) []limiter.Limit {
	if !v.IsObject() {
		p.fail(field, "must be {\"requests\": N, \"window\": \"60s\"} or {\"limits\": [...]}, not "+describe(v))
		return nil
	}
	f := p.object(field, v, "requests", "window", "limits")
	_, hasReq := f["requests"]
	_, hasWin := f["window"]
	list, hasLimits := f["limits"]
	switch {
	case hasLimits && (hasReq || hasWin):
		p.fail(field, "has both \"limits\" and \"requests\"/\"window\"; use one form")
		return nil
	case hasLimits:
		if !list.IsArray() || len(list.Array()) == 0 {
			p.fail(field+".limits", "must be a non-empty array of {\"requests\": N, \"window\": \"60s\"}")
			return nil
		}
		items := list.Array()
		if len(items) > limiter.MaxLimits {
			p.fail(field+".limits", "has "+strconv.Itoa(len(items))+" limits; at most "+strconv.Itoa(limiter.MaxLimits)+" are supported")
			return nil
		}
		var out []limiter.Limit
		ok := true
		for i, it := range items {
			lf := field + ".limits[" + strconv.Itoa(i) + "]"
			if !it.IsObject() {
				p.fail(lf, "must be {\"requests\": N, \"window\": \"60s\"}, not "+describe(it))
				ok = false
				continue
			}
			l, good := p.limit(lf, p.object(lf, it, "requests", "window"))
			if !good {
				ok = false
				continue
			}
			for j, prev := range out {
				if prev.Window == l.Window {
					p.fail(lf, "repeats the window of limits["+strconv.Itoa(j)+"]; keep the smaller limit")
					ok = false
				}
			}
			out = append(out, l)
		}
		if !ok {
			return nil
		}
		return out
	default:
		l, ok := p.limit(field, f)
		if !ok {
			return nil
		}
		return []limiter.Limit{l}
	}
}

func (p *parser) limit(field string, f map[string]gjson.Result) (limiter.Limit, bool) {
	ok := true
	var l limiter.Limit
	if r, has := f["requests"]; !has {
		p.fail(field+".requests", "is required: how many requests the window allows (1 to 1000000000)")
		ok = false
	} else if n, good := p.integer(field+".requests", r, 1, MaxRequests); good {
		l.Requests = uint32(n)
	} else {
		ok = false
	}
	if w, has := f["window"]; !has {
		p.fail(field+".window", "is required: a duration from \"1s\" to \"24h\", such as \"60s\"")
		ok = false
	} else if d, good := p.duration(field+".window", w, MinWindow, MaxWindow); good {
		if d%time.Millisecond != 0 {
			p.fail(field+".window", strconv.Quote(w.String())+" is not a whole number of milliseconds")
			ok = false
		}
		l.Window = int64(d)
	} else {
		ok = false
	}
	return l, ok
}

func (p *parser) keys(field string, v gjson.Result, plans gjson.Result, r *RateLimit) map[[32]byte]int {
	if !v.IsObject() {
		p.fail(field, "must be an object of API key (or \"sha256:<64 hex>\") to plan name, not "+describe(v))
		return nil
	}
	out := map[[32]byte]int{}
	n := 0
	v.ForEach(func(k, pv gjson.Result) bool {
		n++
		key := k.String()
		// Never echo a raw key into the log: name the entry by position and digest prefix.
		digest, problem := keyDigest(key)
		label := field + " (entry " + strconv.Itoa(n) + ", sha256:" + hex.EncodeToString(digest[:4]) + "…)"
		if problem != "" {
			p.fail(field+" (entry "+strconv.Itoa(n)+")", problem)
			return true
		}
		if pv.Type != gjson.String {
			p.fail(label, "the plan must be a string naming one of "+quoteList(planNames(plans)))
			return true
		}
		plan, found := r.PlanByName([]byte(pv.String()))
		if !found {
			if !plans.Get(gjson.Escape(pv.String())).Exists() {
				p.fail(label, "plan "+strconv.Quote(pv.String())+" is not defined; use one of "+quoteList(planNames(plans)))
			}
			return true
		}
		if prev, dup := out[digest]; dup && prev != plan {
			p.fail(label, "the same key is listed twice with different plans")
			return true
		}
		out[digest] = plan
		return true
	})
	return out
}

// keyDigest returns SHA-256 of a plain key, or the digest a "sha256:" entry spells out.
func keyDigest(key string) (digest [32]byte, problem string) {
	if h, ok := strings.CutPrefix(key, "sha256:"); ok {
		if len(h) != 64 {
			return digest, "a \"sha256:\" entry needs exactly 64 hex digits after the prefix, this one has " + strconv.Itoa(len(h))
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			return digest, "a \"sha256:\" entry must be hex digits only after the prefix"
		}
		copy(digest[:], b)
		return digest, ""
	}
	if !ValidKey([]byte(key)) {
		return digest, "an API key must be 1 to 256 visible ASCII characters (no spaces); hash other keys as \"sha256:<hex>\""
	}
	return sha256.Sum256([]byte(key)), ""
}

// ValidKey is the contract's rule for an API key: 1 to 256 bytes of visible ASCII.
func ValidKey(k []byte) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for _, c := range k {
		if c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

func (p *parser) cors(v gjson.Result, rl *RateLimit) *cors.Policy {
	const path = "cors"
	if !v.IsObject() {
		p.fail(path, "must be a JSON object, not "+describe(v))
		return nil
	}
	f := p.object(path, v, "allowed_origins", "allowed_methods", "allowed_headers", "exposed_headers", "max_age", "allow_credentials")
	c := cors.Config{MaxAgeSeconds: -1, AllowedMethods: DefaultMethods, AllowedHeaders: defaultAllowedHeaders(rl)}
	badItems := false
	if o, ok := f["allowed_origins"]; ok {
		before := len(p.problems)
		c.AllowedOrigins = p.strings(path+".allowed_origins", o)
		badItems = len(p.problems) > before
	}
	if m, ok := f["allowed_methods"]; ok {
		c.AllowedMethods = p.strings(path+".allowed_methods", m)
	}
	if h, ok := f["allowed_headers"]; ok {
		c.AllowedHeaders = p.strings(path+".allowed_headers", h)
	}
	if h, ok := f["exposed_headers"]; ok {
		c.ExposedHeaders = p.strings(path+".exposed_headers", h)
	}
	if m, ok := f["max_age"]; ok {
		if d, good := p.duration(path+".max_age", m, 0, MaxMaxAge); good {
			if d%time.Second != 0 {
				p.fail(path+".max_age", strconv.Quote(m.String())+" is not a whole number of seconds")
			} else {
				c.MaxAgeSeconds = int64(d / time.Second)
				if d > ChromiumMaxAgeCap {
					p.warn(path+".max_age", m.String()+" is above Chromium's cap of 7200s; Chromium will cache preflights for 2h only")
				}
			}
		}
	}
	if b, ok := f["allow_credentials"]; ok {
		c.AllowCredentials = p.boolean(path+".allow_credentials", b)
	}
	policy, problems, warnings := cors.New(c)
	for _, w := range warnings {
		p.warn(path+"."+w.Field, w.Message)
	}
	for _, pr := range problems {
		if pr.Field == "allowed_origins" && badItems {
			continue // the entries themselves were reported
		}
		p.fail(path+"."+pr.Field, pr.Message)
	}
	return policy
}

// defaultAllowedHeaders lets browsers send what the filter itself reads.
func defaultAllowedHeaders(rl *RateLimit) []string {
	h := []string{"content-type"}
	if rl == nil {
		return append(h, "authorization", "x-api-key")
	}
	if rl.Bearer {
		h = append(h, "authorization")
	}
	for _, k := range rl.KeyHeaders {
		if !contains(h, k) {
			h = append(h, k)
		}
	}
	return h
}

func (p *parser) headerNames(field string, v gjson.Result) []string {
	var out []string
	for i, s := range p.strings(field, v) {
		f := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case !isToken(s) || s[0] == ':':
			p.fail(f, strconv.Quote(s)+" is not a header name")
		case contains(out, strings.ToLower(s)):
			p.fail(f, strconv.Quote(s)+" is listed twice")
		default:
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

func (p *parser) strings(field string, v gjson.Result) []string {
	if !v.IsArray() {
		p.fail(field, "must be an array of strings, not "+describe(v))
		return nil
	}
	out := []string{}
	for i, it := range v.Array() {
		if it.Type != gjson.String {
			p.fail(field+"["+strconv.Itoa(i)+"]", "must be a string, not "+describe(it))
			continue
		}
		out = append(out, it.String())
	}
	return out
}

func (p *parser) str(field string, v gjson.Result) string {
	if v.Type != gjson.String {
		p.fail(field, "must be a string, not "+describe(v))
		return ""
	}
	return v.String()
}

func (p *parser) boolean(field string, v gjson.Result) bool {
	if v.Type != gjson.True && v.Type != gjson.False {
		p.fail(field, "must be true or false, not "+describe(v))
		return false
	}
	return v.Bool()
}

func (p *parser) integer(field string, v gjson.Result, lo, hi int64) (int64, bool) {
	if v.Type != gjson.Number {
		p.fail(field, "must be a whole number from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10)+", not "+describe(v))
		return 0, false
	}
	n, err := strconv.ParseInt(v.Raw, 10, 64)
	if err != nil {
		p.fail(field, v.Raw+" is not a whole number; use one from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10))
		return 0, false
	}
	if n < lo || n > hi {
		p.fail(field, v.Raw+" is out of range; use a number from "+strconv.FormatInt(lo, 10)+" to "+strconv.FormatInt(hi, 10))
		return 0, false
	}
	return n, true
}

func (p *parser) duration(field string, v gjson.Result, lo, hi time.Duration) (time.Duration, bool) {
	if v.Type != gjson.String {
		p.fail(field, "must be a duration string such as \"60s\", not "+describe(v))
		return 0, false
	}
	d, err := time.ParseDuration(v.String())
	if err != nil {
		p.fail(field, strconv.Quote(v.String())+" is not a duration; write it with a unit, such as \"60s\", \"5m\" or \"1h\"")
		return 0, false
	}
	if d < lo || d > hi {
		p.fail(field, strconv.Quote(v.String())+" is out of range; use "+formatDuration(lo)+" to "+formatDuration(hi))
		return 0, false
	}
	return d, true
}

func missingKeyBody(r *RateLimit) string {
	msg := "An API key is required. Send it as a Bearer token in the Authorization header."
	if len(r.KeyHeaders) > 0 {
		msg = "An API key is required. Send it in the " + DisplayHeader(r.KeyHeaders[0]) + " header."
	}
	return `{"error":"missing_api_key","message":"` + msg + `"}`
}

// DisplayHeader writes a header name the way people read it: X-API-Key, Authorization.
func DisplayHeader(name string) string {
	parts := strings.Split(name, "-")
	for i, w := range parts {
		switch w {
		case "api", "id", "jwt", "ip", "url", "uri":
			parts[i] = strings.ToUpper(w)
		default:
			if w != "" {
				parts[i] = strings.ToUpper(w[:1]) + w[1:]
			}
		}
	}
	return strings.Join(parts, "-")
}

// Summary is the one info line logged when a configuration loads.
func (c *Config) Summary() string {
	var parts []string
	if r := c.RateLimit; r != nil {
		var plans []string
		for _, pl := range r.Plans {
			var ls []string
			for _, l := range pl.Limits {
				ls = append(ls, strconv.FormatUint(uint64(l.Requests), 10)+"/"+formatDuration(time.Duration(l.Window)))
			}
			plans = append(plans, pl.Name+" ("+strings.Join(ls, " + ")+")")
		}
		src := append([]string(nil), r.KeyHeaders...)
		if r.Bearer {
			src = append(src, "Authorization: Bearer")
		}
		missing, failure := "reject", "open"
		if r.MissingKey == AllowMissing {
			missing = "allow"
		}
		if r.FailureMode == FailClosed {
			failure = "closed"
		}
		s := "rate limits: plans " + strings.Join(plans, ", ") + "; default plan " + r.Plans[r.DefaultPlan].Name +
			"; " + strconv.Itoa(len(r.Keys)) + " listed keys; key from " + strings.Join(src, ", ")
		if r.PlanHeader != "" {
			s += "; plan header " + r.PlanHeader
		}
		s += "; missing key " + missing + "; failure mode " + failure + "; up to " + strconv.Itoa(r.MaxTrackedKeys) +
			" tracked keys in " + strconv.FormatUint(uint64(r.Buckets()), 10) + " shared-data entries"
		parts = append(parts, s)
	} else {
		parts = append(parts, "rate limits: off")
	}
	if c.CORS != nil {
		s := "CORS: " + strconv.Itoa(len(c.CORS.Origins)) + " origins (" + strings.Join(c.CORS.Origins, ", ") + "), methods " + c.CORS.AllowMethods
		if c.CORS.MaxAge != "" {
			s += ", max age " + c.CORS.MaxAge + "s"
		}
		if c.CORS.Credentials {
			s += ", credentials"
		}
		parts = append(parts, s)
	} else {
		parts = append(parts, "CORS: off")
	}
	return strings.Join(parts, "; ")
}

func formatDuration(d time.Duration) string {
	switch {
	case d == 0:
		return "0s"
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0 && d >= time.Minute:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	default:
		return d.String()
	}
}

func describe(v gjson.Result) string {
	switch {
	case !v.Exists():
		return "nothing"
	case v.Type == gjson.String:
		return "the string " + strconv.Quote(v.String())
	case v.Type == gjson.Number:
		return "the number " + v.Raw
	case v.Type == gjson.True || v.Type == gjson.False:
		return v.Raw
	case v.Type == gjson.Null:
		return "null"
	case v.IsArray():
		return "an array"
	default:
		return "an object"
	}
}

func planNames(plans gjson.Result) []string {
	var names []string
	plans.ForEach(func(k, _ gjson.Result) bool {
		names = append(names, k.String())
		return true
	})
	return names
}

func quoteList(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = strconv.Quote(s)
	}
	sort.Strings(q)
	return strings.Join(q, ", ")
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasKey(m map[string]gjson.Result, k string) bool { _, ok := m[k]; return ok }

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

// suggest returns the allowed name closest to a misspelt one (edit distance ≤ 2).
func suggest(name string, allowed []string) string {
	best, bestD := "", 3
	for _, a := range allowed {
		if d := editDistance(strings.ToLower(name), a); d < bestD {
			best, bestD = a, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

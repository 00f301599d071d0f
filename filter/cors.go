package filter

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/cors"
	"github.com/kojihq/koji-edge/proxywasm"
)

// preflight answers an OPTIONS request with Origin and Access-Control-Request-Method itself:
// never forwarded, never counted, no API key needed. It is kept out of line: inlined, it
// doubled the request callback's compiled size, and counted requests ran slower for it.
//
//go:noinline
func (s *stream) preflight(r *request, pairs []byte) types.Action {
	p := s.p
	policy := p.cfg.CORS
	ok := s.origin == originAllowed && policy.MethodAllowed(r.acrm)
	switch {
	case !ok || r.acrhLines == 0:
	case r.acrhLines == 1:
		ok = policy.HeadersAllowed(r.acrh)
	default: // repeated lines: every one must be allowed
		for k, v := range proxywasm.AllPairs(pairs) {
			if string(k) == "access-control-request-headers" && !policy.HeadersAllowed(v) {
				ok = false
				break
			}
		}
	}
	p.reply.Reset()
	p.scratch = p.scratch[:0]
	if !ok {
		inc(&p.metrics.preflightRefused)
		p.reply.Add("content-type", "application/json")
		p.reply.Add("vary", cors.PreflightVary)
		return s.send(403, preflightBody)
	}
	inc(&p.metrics.preflightAnswered)
	p.reply.Add("access-control-allow-origin", policy.Origins[s.originIdx])
	p.reply.Add("access-control-allow-methods", policy.AllowMethods)
	p.reply.Add("access-control-allow-headers", policy.AllowHeaders)
	if policy.MaxAge != "" {
		p.reply.Add("access-control-max-age", policy.MaxAge)
	}
	if policy.Credentials {
		p.reply.Add("access-control-allow-credentials", "true")
	}
	p.reply.Add("vary", cors.PreflightVary)
	return s.send(204, "")
}

// varyOrigin is a variable, not a conversion at the call: a []byte handed to the host would
// otherwise be allocated on every response.
var varyOrigin = []byte("Origin")

// corsResponse makes the CORS headers of an upstream response (or of another filter's local
// reply) the filter's own: exactly one Access-Control-Allow-Origin for an allowed origin,
// none of the upstream's Access-Control-* otherwise, and Origin merged into Vary.
func (s *stream) corsResponse() {
	policy := s.p.cfg.CORS
	pairs, _ := proxywasm.HeaderPairs(proxywasm.MapResponseHeaders)
	var vary []byte // the first Vary line
	nvary := 0
	for k, v := range proxywasm.AllPairs(pairs) {
		switch {
		case string(k) == "vary":
			if nvary == 0 {
				vary = v
			}
			nvary++
		case len(k) > 15 && k[0] == 'a' && string(k[:15]) == "access-control-":
			if s.origin == originAllowed && (string(k) == "access-control-allow-origin" ||
				string(k) == "access-control-expose-headers" ||
				(policy.Credentials && string(k) == "access-control-allow-credentials")) {
				continue // replaced below
			}
			proxywasm.RemoveHeader(proxywasm.MapResponseHeaders, k)
		}
	}
	if s.origin == originAllowed {
		proxywasm.ReplaceHeaderString(proxywasm.MapResponseHeaders, "access-control-allow-origin", policy.Origins[s.originIdx])
		proxywasm.ReplaceHeaderString(proxywasm.MapResponseHeaders, "access-control-expose-headers", policy.ExposeHeaders)
		if policy.Credentials {
			proxywasm.ReplaceHeaderString(proxywasm.MapResponseHeaders, "access-control-allow-credentials", "true")
		}
	}
	switch {
	case nvary == 0:
		proxywasm.AddHeader(proxywasm.MapResponseHeaders, "vary", varyOrigin)
	case nvary == 1 && cors.VaryHas(vary, "Origin"):
	default:
		lines := s.p.varyLines[:0]
		if nvary == 1 {
			lines = append(lines, vary)
		} else { // rare: collect every line
			for k, v := range proxywasm.AllPairs(pairs) {
				if string(k) == "vary" {
					lines = append(lines, v)
				}
			}
		}
		merged := cors.MergeVary(s.p.scratch[:0], lines, "Origin")
		s.p.scratch = merged[:0]
		clear(lines) // the views die with this callback
		s.p.varyLines = lines[:0]
		proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "vary", merged)
	}
}

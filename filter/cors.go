package filter

import (
	"github.com/tetratelabs/proxy-wasm-go-sdk/proxywasm/types"

	"github.com/kojihq/koji-edge/cors"
	"github.com/kojihq/koji-edge/proxywasm"
)

// preflight answers an OPTIONS request with Origin and Access-Control-Request-Method itself:
// never forwarded, never counted, no API key needed.
func (s *stream) preflight(r *request) types.Action {
	p := s.p
	policy := p.cfg.CORS
	ok := s.origin == originAllowed && policy.MethodAllowed(r.acrm) && r.acrhLines <= len(r.acrh)
	for i := 0; ok && i < r.acrhLines; i++ {
		ok = policy.HeadersAllowed(r.acrh[i])
	}
	p.reply.Reset()
	p.scratch = p.scratch[:0]
	if !ok {
		inc(p.metrics.preflightRefused)
		p.reply.Add("content-type", "application/json")
		p.reply.Add("vary", cors.PreflightVary)
		return s.send(403, preflightBody)
	}
	inc(p.metrics.preflightAnswered)
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
	var vary [8][]byte
	nvary := 0
	it := proxywasm.NewPairIter(pairs)
	for {
		k, v, ok := it.Next()
		if !ok {
			break
		}
		switch {
		case string(k) == "vary":
			if nvary < len(vary) {
				vary[nvary] = v
			}
			nvary++
		case len(k) > 15 && string(k[:15]) == "access-control-":
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
	case nvary == 1 && cors.VaryHas(vary[0], "Origin"):
	default:
		lines := vary[:min(nvary, len(vary))]
		if nvary > len(vary) { // rare: collect every line (this may allocate)
			lines = nil
			for it := proxywasm.NewPairIter(pairs); ; {
				k, v, ok := it.Next()
				if !ok {
					break
				}
				if string(k) == "vary" {
					lines = append(lines, v)
				}
			}
		}
		merged := cors.MergeVary(s.p.scratch[:0], lines, "Origin")
		s.p.scratch = merged[:0]
		proxywasm.ReplaceHeader(proxywasm.MapResponseHeaders, "vary", merged)
	}
}

// Package cors is koji-edge's CORS policy: exact origins normalised once at load, matched byte
// for byte at request time, preflights evaluated without allocation, and the response header
// values built once. It knows nothing of Proxy-Wasm.
package cors

import (
	"strconv"
	"strings"
)

// RateLimitHeaders are exposed on every CORS response: none is CORS-safelisted, so without
// them a browser script cannot read its own limits or a 429's Retry-After.
var RateLimitHeaders = []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Retry-After"}

// PreflightVary is the Vary of every preflight answer, allowed or not.
const PreflightVary = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"

// Config is the cors section of the plugin configuration, already type-checked.
type Config struct {
	AllowedOrigins   []string
	AllowedMethods   []string
	AllowedHeaders   []string
	ExposedHeaders   []string
	MaxAgeSeconds    int64 // < 0: no Access-Control-Max-Age
	AllowCredentials bool
}

// Policy is a validated CORS configuration, built once per plugin configuration.
type Policy struct {
	origins map[string]int
	// Origins are the normalised allowed origins; an allowed request's origin is one of them.
	Origins []string
	methods []string
	headers []string // lower case
	// Response header values, joined once.
	AllowMethods  string
	AllowHeaders  string
	ExposeHeaders string
	MaxAge        string // "" when not sent
	Credentials   bool
}

// Problem is one invalid entry: Field is relative to the cors section (for example
// "allowed_origins[2]").
type Problem struct {
	Field, Message string
}

// New validates c. It returns the policy, or the problems (one per bad entry), and warnings
// for entries it accepted after a change the operator should know about.
func New(c Config) (p *Policy, problems []Problem, warnings []Problem) {
	p = &Policy{origins: map[string]int{}, Credentials: c.AllowCredentials}
	if len(c.AllowedOrigins) == 0 {
		problems = append(problems, Problem{"allowed_origins", "must list at least one origin such as \"https://app.example.com\""})
	}
	for i, o := range c.AllowedOrigins {
		field := "allowed_origins[" + strconv.Itoa(i) + "]"
		norm, warn, err := NormalizeOrigin(o)
		if err != "" {
			problems = append(problems, Problem{field, err})
			continue
		}
		if warn != "" {
			warnings = append(warnings, Problem{field, warn})
		}
		if _, dup := p.origins[norm]; dup {
			warnings = append(warnings, Problem{field, strconv.Quote(o) + " repeats " + strconv.Quote(norm) + "; the copy is ignored"})
			continue
		}
		p.origins[norm] = len(p.Origins)
		p.Origins = append(p.Origins, norm)
	}
	for i, m := range c.AllowedMethods {
		field := "allowed_methods[" + strconv.Itoa(i) + "]"
		switch {
		case m == "*":
			problems = append(problems, Problem{field, "\"*\" is not supported; list the methods, for example [\"GET\", \"POST\"]"})
		case !isToken(m):
			problems = append(problems, Problem{field, strconv.Quote(m) + " is not an HTTP method token"})
		default:
			if !contains(p.methods, m) {
				p.methods = append(p.methods, m)
			}
		}
	}
	p.headers = headerList("allowed_headers", c.AllowedHeaders, &problems)
	exposed := headerList("exposed_headers", c.ExposedHeaders, &problems)
	if c.MaxAgeSeconds >= 0 {
		p.MaxAge = strconv.FormatInt(c.MaxAgeSeconds, 10)
	}
	if len(problems) > 0 {
		return nil, problems, warnings
	}
	p.AllowMethods = strings.Join(p.methods, ", ")
	p.AllowHeaders = strings.Join(p.headers, ", ")
	expose := append([]string(nil), RateLimitHeaders...)
	for _, h := range exposed {
		if !containsFold(expose, h) {
			expose = append(expose, h)
		}
	}
	p.ExposeHeaders = strings.Join(expose, ", ")
	return p, nil, warnings
}

func headerList(field string, names []string, problems *[]Problem) []string {
	var out []string
	for i, h := range names {
		f := field + "[" + strconv.Itoa(i) + "]"
		switch {
		case h == "*":
			*problems = append(*problems, Problem{f, "\"*\" is not supported (browsers never let it cover Authorization); list the header names"})
		case !isToken(h):
			*problems = append(*problems, Problem{f, strconv.Quote(h) + " is not a header name"})
		default:
			if l := strings.ToLower(h); !contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// Match returns the index of origin in Origins, compared byte for byte. A short list is scanned:
// hashing the origin for a map lookup costs more than a few comparisons (in Wasm, several times
// more).
func (p *Policy) Match(origin []byte) (int, bool) {
	if len(p.Origins) <= scanOrigins {
		for i, o := range p.Origins {
			if o == string(origin) {
				return i, true
			}
		}
		return 0, false
	}
	i, ok := p.origins[string(origin)] // no allocation: the compiler looks up []byte keys in place
	return i, ok
}

const scanOrigins = 8

// MethodAllowed reports whether a preflight's Access-Control-Request-Method is allowed.
// Methods compare case-sensitively (Fetch normalises only the six standard ones).
func (p *Policy) MethodAllowed(method []byte) bool {
	for _, m := range p.methods {
		if m == string(method) {
			return true
		}
	}
	return false
}

// HeadersAllowed reports whether every name of one Access-Control-Request-Headers line is
// allowed: a comma list, spaces trimmed, empty items skipped, names compared
// case-insensitively. Call it for each line when the header is repeated.
func (p *Policy) HeadersAllowed(list []byte) bool {
	for len(list) > 0 {
		var item []byte
		if i := indexByte(list, ','); i >= 0 {
			item, list = list[:i], list[i+1:]
		} else {
			item, list = list, nil
		}
		item = trimOWS(item)
		if len(item) == 0 {
			continue
		}
		if !p.headerAllowed(item) {
			return false
		}
	}
	return true
}

func (p *Policy) headerAllowed(name []byte) bool {
	for _, h := range p.headers {
		if equalFoldASCII(h, name) {
			return true
		}
	}
	return false
}

// NormalizeOrigin turns a configured origin into its serialised form: scheme and host lower
// case, default port dropped, a lone trailing "/" dropped (with a warning). It returns a
// problem for anything that is not scheme://host[:port] with scheme http or https.
func NormalizeOrigin(s string) (norm, warning, problem string) {
	q := strconv.Quote(s)
	switch {
	case s == "":
		return "", "", "is empty; write an origin such as \"https://app.example.com\""
	case s == "*":
		return "", "", "\"*\" is not allowed: list each origin exactly, such as \"https://app.example.com\""
	case strings.EqualFold(s, "null"):
		return "", "", "\"null\" is not allowed: sandboxed and file: pages send it, so anyone can; list real origins"
	}
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return "", "", q + " has no scheme; write it as \"https://" + strings.TrimPrefix(s, "//") + "\""
	}
	scheme = strings.ToLower(scheme)
	if scheme != "http" && scheme != "https" {
		return "", "", q + " has scheme " + strconv.Quote(scheme) + "; only http and https origins exist for browsers"
	}
	if strings.ContainsAny(rest, "*") {
		return "", "", q + " has a wildcard; list each origin exactly (no wildcards are matched)"
	}
	if strings.ContainsAny(rest, "?#") {
		return "", "", q + " has a query or fragment; an origin is only scheme://host[:port]"
	}
	if strings.Contains(rest, "@") {
		return "", "", q + " has user info; an origin is only scheme://host[:port]"
	}
	hostport, path, hasPath := strings.Cut(rest, "/")
	if hasPath {
		if path != "" {
			return "", "", q + " has a path; an origin is only scheme://host[:port], so write " + strconv.Quote(scheme+"://"+hostport)
		}
		warning = "trailing \"/\" dropped: browsers send origins without it"
	}
	host, port := hostport, ""
	if strings.HasPrefix(host, "[") {
		end := strings.Index(host, "]")
		if end < 0 {
			return "", "", q + " has an unterminated IPv6 address"
		}
		host, port = hostport[:end+1], strings.TrimPrefix(hostport[end+1:], ":")
		if hostport[end+1:] != "" && !strings.HasPrefix(hostport[end+1:], ":") {
			return "", "", q + " has junk after the IPv6 address"
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host, port = hostport[:i], hostport[i+1:]
		if port == "" {
			return "", "", q + " ends in \":\" with no port"
		}
	}
	if host == "" || host == "[]" {
		return "", "", q + " has no host"
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if c >= 0x80 {
			return "", "", q + " has a non-ASCII host; write it in punycode (xn--…) as browsers send it"
		}
		if !(isAlnum(c) || c == '-' || c == '.' || (host[0] == '[' && (c == ':' || c == '[' || c == ']'))) {
			return "", "", q + " has the character " + strconv.QuoteRune(rune(c)) + " in its host"
		}
	}
	host = strings.ToLower(host)
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 || port[0] == '0' {
			return "", "", q + " has port " + strconv.Quote(port) + "; use a number from 1 to 65535"
		}
		if (scheme == "http" && n == 80) || (scheme == "https" && n == 443) {
			port = ""
		}
	}
	norm = scheme + "://" + host
	if port != "" {
		norm += ":" + port
	}
	return norm, warning, ""
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// isToken: RFC 9110 tchar.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlnum(c) || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0 {
			continue
		}
		return false
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFoldASCII compares a lower-case name with b, ignoring ASCII case.
func equalFoldASCII(lower string, b []byte) bool {
	if len(lower) != len(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
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

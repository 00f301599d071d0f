package cors

import (
	"strings"
	"testing"
)

// A configured origin either normalises to a canonical scheme://host[:port] that normalises to
// itself, or is refused with a message; nothing panics.
func FuzzOrigin(f *testing.F) {
	for _, s := range []string{"https://a.com", "HTTP://A.com:80/", "https://[::1]:8443", "null", "*", "https://*.a.com",
		"https://a.com/x", "https://u@a.com", "a.com", "https://a.com:", "https://a.com:0", "https://\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm, _, problem := NormalizeOrigin(s)
		if problem != "" {
			if norm != "" {
				t.Fatal("a refused origin has a normal form")
			}
			return
		}
		if !strings.HasPrefix(norm, "http://") && !strings.HasPrefix(norm, "https://") {
			t.Fatalf("%q normalised to %q", s, norm)
		}
		again, warn, problem := NormalizeOrigin(norm)
		if again != norm || warn != "" || problem != "" {
			t.Fatalf("%q → %q → %q (%q %q): not stable", s, norm, again, warn, problem)
		}
		p, problems, _ := New(Config{AllowedOrigins: []string{s}, AllowedMethods: []string{"GET"}})
		if len(problems) != 0 {
			t.Fatalf("%q: %v", s, problems)
		}
		if _, ok := p.Match([]byte(norm)); !ok {
			t.Fatalf("%q does not match its own normal form", s)
		}
	})
}

// Access-Control-Request-Headers: allowed exactly when every non-empty trimmed item is an
// allowed name (case-insensitively), whatever the bytes.
func FuzzRequestHeaders(f *testing.F) {
	for _, s := range []string{"", "x-api-key", " X-API-Key ,, content-type ", "x-api-key,x-other", ",,,", "\xff\x00", "a,\tb"} {
		f.Add(s)
	}
	p, _, _ := New(Config{AllowedOrigins: []string{"https://a.com"}, AllowedHeaders: []string{"x-api-key", "content-type"}})
	f.Fuzz(func(t *testing.T, list string) {
		want := true
		for _, item := range strings.Split(list, ",") {
			item = strings.Trim(item, " \t")
			if item == "" {
				continue
			}
			if l := strings.ToLower(item); l != "x-api-key" && l != "content-type" || !isASCII(item) {
				want = false
			}
		}
		if got := p.HeadersAllowed([]byte(list)); got != want {
			t.Fatalf("%q: got %v, want %v", list, got, want)
		}
		_ = MergeVary(nil, [][]byte{[]byte(list)}, "Origin")
	})
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

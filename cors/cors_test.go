package cors

import (
	"strconv"
	"strings"
	"testing"
)

func TestNormalizeOrigin(t *testing.T) {
	for _, c := range []struct{ in, want, warn, problem string }{
		{in: "https://yourapp.com", want: "https://yourapp.com"},
		{in: "HTTPS://YourApp.COM", want: "https://yourapp.com"},
		{in: "https://yourapp.com:443", want: "https://yourapp.com"},
		{in: "http://localhost:80", want: "http://localhost"},
		{in: "http://localhost:3000", want: "http://localhost:3000"},
		{in: "https://yourapp.com:8443", want: "https://yourapp.com:8443"},
		{in: "http://[::1]:8080", want: "http://[::1]:8080"},
		{in: "https://yourapp.com/", want: "https://yourapp.com", warn: "trailing"},
		{in: "https://yourapp.com/app", problem: "has a path"},
		{in: "https://yourapp.com?x=1", problem: "query"},
		{in: "https://yourapp.com#x", problem: "fragment"},
		{in: "https://user@yourapp.com", problem: "user info"},
		{in: "https://*.yourapp.com", problem: "wildcard"},
		{in: "*", problem: "\"*\" is not allowed"},
		{in: "null", problem: "\"null\" is not allowed"},
		{in: "yourapp.com", problem: "no scheme"},
		{in: "ftp://yourapp.com", problem: "only http and https"},
		{in: "https://", problem: "no host"},
		{in: "https://yourapp.com:0", problem: "port"},
		{in: "https://yourapp.com:99999", problem: "port"},
		{in: "https://yourapp.com:", problem: "no port"},
		{in: "https://bücher.example", problem: "punycode"},
		{in: "https://your app.com", problem: "character"},
		{in: "", problem: "empty"},
	} {
		norm, warn, problem := NormalizeOrigin(c.in)
		if c.problem != "" {
			if !strings.Contains(problem, c.problem) {
				t.Errorf("%q: problem %q, want one containing %q", c.in, problem, c.problem)
			}
			continue
		}
		if problem != "" || norm != c.want || !strings.Contains(warn, c.warn) || (c.warn == "" && warn != "") {
			t.Errorf("%q: got (%q, %q, %q), want %q warn %q", c.in, norm, warn, problem, c.want, c.warn)
		}
	}
}

func policy(t *testing.T) *Policy {
	t.Helper()
	p, problems, _ := New(Config{
		AllowedOrigins: []string{"https://yourapp.com", "http://localhost:3000"},
		AllowedMethods: []string{"GET", "POST", "PATCH"},
		AllowedHeaders: []string{"Authorization", "content-type", "x-api-key"},
		ExposedHeaders: []string{"x-request-id", "retry-after"},
		MaxAgeSeconds:  600,
	})
	if problems != nil {
		t.Fatal(problems)
	}
	return p
}

func TestMatchIsByteExact(t *testing.T) {
	p := policy(t)
	for origin, want := range map[string]bool{
		"https://yourapp.com":                true,
		"http://localhost:3000":              true,
		"https://YOURAPP.com":                false,
		"https://yourapp.com.evil.net":       false,
		"https://evilyourapp.com":            false,
		"https://yourapp.com/":               false,
		"https://yourapp.com, https://x.com": false,
		"null":                               false,
		"http://yourapp.com":                 false,
		"https://yourapp.com:443":            false,
		"https://yourapp.com\x00":            false,
		"\xff\xfehttps://yourapp.com":        false,
		"":                                   false,
	} {
		if _, got := p.Match([]byte(origin)); got != want {
			t.Errorf("Match(%q) = %v, want %v", origin, got, want)
		}
	}
}

// A long list is matched through a map, a short one by scanning: both give the index of the
// configured origin.
func TestMatchLongAndShortLists(t *testing.T) {
	for _, n := range []int{1, scanOrigins, scanOrigins + 1, 100} {
		var list []string
		for i := 0; i < n; i++ {
			list = append(list, "https://app"+strconv.Itoa(i)+".example")
		}
		p, problems, _ := New(Config{AllowedOrigins: list})
		if problems != nil {
			t.Fatal(problems)
		}
		for i, o := range list {
			if got, ok := p.Match([]byte(o)); !ok || got != i {
				t.Errorf("%d origins: Match(%q) = %d, %v; want %d", n, o, got, ok, i)
			}
		}
		if _, ok := p.Match([]byte("https://app.example")); ok {
			t.Errorf("%d origins: an unlisted origin matched", n)
		}
	}
}

func TestPreflightMethodsAndHeaders(t *testing.T) {
	p := policy(t)
	if !p.MethodAllowed([]byte("PATCH")) || p.MethodAllowed([]byte("patch")) || p.MethodAllowed([]byte("DELETE")) {
		t.Error("methods must compare case-sensitively against the list")
	}
	for list, want := range map[string]bool{
		"":                                 true,
		"x-api-key":                        true,
		"X-API-Key":                        true,
		"content-type,x-api-key":           true,
		" content-type , , x-api-key ,":    true,
		"authorization,\tcontent-type":     true,
		"x-api-key,x-evil":                 false,
		"x-api-key x-evil":                 false,
		"x-api-keyy":                       false,
		strings.Repeat("x-api-key,", 6000): true,
		strings.Repeat("x-api-key,", 6000) + "x-other": false,
	} {
		if got := p.HeadersAllowed([]byte(list)); got != want {
			t.Errorf("HeadersAllowed(%.40q) = %v, want %v", list, got, want)
		}
	}
}

func TestHeaderValuesBuiltOnce(t *testing.T) {
	p := policy(t)
	if p.AllowMethods != "GET, POST, PATCH" || p.AllowHeaders != "authorization, content-type, x-api-key" || p.MaxAge != "600" {
		t.Fatalf("%q %q %q", p.AllowMethods, p.AllowHeaders, p.MaxAge)
	}
	if p.ExposeHeaders != "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Retry-After, x-request-id" {
		t.Fatalf("expose %q", p.ExposeHeaders)
	}
}

func TestConfigProblemsNameTheEntry(t *testing.T) {
	_, problems, _ := New(Config{
		AllowedOrigins: []string{"https://ok.com", "https://x.com/path", "*"},
		AllowedMethods: []string{"GET", "*", "G E T"},
		AllowedHeaders: []string{"*", "bad header"},
		MaxAgeSeconds:  -1,
	})
	var got []string
	for _, p := range problems {
		got = append(got, p.Field)
	}
	want := "allowed_origins[1] allowed_origins[2] allowed_methods[1] allowed_methods[2] allowed_headers[0] allowed_headers[1]"
	if strings.Join(got, " ") != want {
		t.Fatalf("problems at %v, want %s", got, want)
	}
	if _, problems, _ := New(Config{MaxAgeSeconds: -1}); len(problems) != 1 || problems[0].Field != "allowed_origins" {
		t.Fatalf("empty origin list: %v", problems)
	}
}

func TestMergeVary(t *testing.T) {
	for _, c := range []struct {
		values []string
		want   string
	}{
		{nil, "Origin"},
		{[]string{"Accept-Encoding"}, "Accept-Encoding, Origin"},
		{[]string{"origin"}, "origin"},
		{[]string{"Accept-Encoding, ORIGIN"}, "Accept-Encoding, ORIGIN"},
		{[]string{"Accept-Encoding", "accept-encoding, Cookie"}, "Accept-Encoding, Cookie, Origin"},
		{[]string{"*"}, "*"},
		{[]string{"Cookie", "*"}, "*"},
		{[]string{" , ,"}, "Origin"},
	} {
		var vals [][]byte
		for _, v := range c.values {
			vals = append(vals, []byte(v))
		}
		if got := string(MergeVary(nil, vals, "Origin")); got != c.want {
			t.Errorf("MergeVary(%q) = %q, want %q", c.values, got, c.want)
		}
	}
	if !VaryHas([]byte("Accept, origin"), "Origin") || VaryHas([]byte("Originals"), "Origin") || !VaryHas([]byte("*"), "Origin") {
		t.Error("VaryHas")
	}
}

package config

import (
	"os"
	"strings"
	"testing"
)

// Any input either loads or is refused with problem lines; nothing panics, and a loaded
// configuration is usable: every plan index it holds is valid.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("../examples/demo.json"); err == nil {
		f.Add(b)
	}
	for _, s := range []string{``, `{}`, `[]`, `null`, `{"cors":{"allowed_origins":["https://a.com/"]}}`,
		`{"rate_limit":{"plans":{"a":{"limits":[{"requests":1,"window":"1s"},{"requests":9,"window":"1h"}]}},"keys":{"k":"a"}}}`,
		`{"rate_limit":{"plans":{"a":{"requests":1e3,"window":"1s"}}}}`, `{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s"}},"plans":{}}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, problems := Parse(data)
		if c == nil {
			if len(problems) == 0 {
				t.Fatal("refused without a problem line")
			}
			for _, p := range problems {
				if p == "" || strings.Contains(p, "\n") {
					t.Fatalf("problem %q is not one line", p)
				}
			}
			return
		}
		if c.RateLimit == nil && c.CORS == nil {
			t.Fatal("loaded a configuration that does nothing")
		}
		if r := c.RateLimit; r != nil {
			if r.DefaultPlan < 0 || r.DefaultPlan >= len(r.Plans) || r.Buckets() == 0 {
				t.Fatalf("default plan %d of %d, %d buckets", r.DefaultPlan, len(r.Plans), r.Buckets())
			}
			for _, p := range r.Keys {
				if p < 0 || p >= len(r.Plans) {
					t.Fatalf("key plan %d", p)
				}
			}
		}
		_ = c.Summary()
	})
}

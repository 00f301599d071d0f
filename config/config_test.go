package config

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

// contractExample is CONTRACT.md §2's example with its elided digest written out.
var contractExample = `{
  "rate_limit": {
    "key": { "headers": ["x-api-key"], "bearer": true },
    "plans": {
      "free":       { "requests": 100,   "window": "60s" },
      "pro":        { "requests": 1000,  "window": "60s" },
      "enterprise": { "limits": [ { "requests": 50, "window": "1s" }, { "requests": 20000, "window": "1h" } ] }
    },
    "default_plan": "free",
    "keys": { "k_live_4f9a": "pro", "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08": "enterprise" },
    "plan_header": "",
    "missing_key": "reject",
    "max_tracked_keys": 100000,
    "failure_mode": "open"
  },
  "cors": {
    "allowed_origins": ["https://yourapp.com", "https://staging.yourapp.com", "http://localhost:3000"],
    "allowed_methods": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    "allowed_headers": ["authorization", "content-type", "x-api-key"],
    "exposed_headers": [],
    "max_age": "600s",
    "allow_credentials": false
  }
}`

func TestContractExampleLoads(t *testing.T) {
	c, problems := Parse([]byte(contractExample))
	if problems != nil {
		t.Fatal(problems)
	}
	r := c.RateLimit
	if len(r.Plans) != 3 || r.Plans[r.DefaultPlan].Name != "free" || r.Buckets() != 25000 {
		t.Fatalf("%+v", r)
	}
	pro := r.Keys[sha256.Sum256([]byte("k_live_4f9a"))]
	if r.Plans[pro].Name != "pro" {
		t.Fatal("plain key not hashed into the table")
	}
	ent := r.Keys[sha256.Sum256([]byte("test"))] // 9f86d0… is sha256("test")
	if r.Plans[ent].Name != "enterprise" || len(r.Plans[ent].Limits) != 2 || r.Plans[ent].Limits[1].Window != int64(time.Hour) {
		t.Fatalf("sha256 entry: %+v", r.Plans[ent])
	}
	if r.MissingKeyBody != `{"error":"missing_api_key","message":"An API key is required. Send it in the X-API-Key header."}` {
		t.Fatal(r.MissingKeyBody)
	}
	if c.CORS == nil || len(c.CORS.Origins) != 3 || c.CORS.MaxAge != "600" {
		t.Fatalf("%+v", c.CORS)
	}
	for _, want := range []string{"free (100/1m)", "enterprise (50/1s + 20000/1h)", "default plan free", "2 listed keys", "3 origins"} {
		if !strings.Contains(c.Summary(), want) {
			t.Errorf("summary %q lacks %q", c.Summary(), want)
		}
	}
	if strings.Contains(c.Summary(), "k_live_4f9a") {
		t.Error("summary leaks a raw key")
	}
}

func TestExampleFilesLoad(t *testing.T) {
	for _, f := range []string{"../examples/demo.json"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, problems := Parse(b); problems != nil {
			t.Errorf("%s: %v", f, problems)
		}
	}
}

func TestDefaults(t *testing.T) {
	c, problems := Parse([]byte(`{"rate_limit":{"plans":{"only":{"requests":5,"window":"1s"}}}}`))
	if problems != nil {
		t.Fatal(problems)
	}
	r := c.RateLimit
	if strings.Join(r.KeyHeaders, ",") != "x-api-key" || !r.Bearer || r.MissingKey != RejectMissing ||
		r.FailureMode != FailOpen || r.MaxTrackedKeys != 100000 || r.DefaultPlan != 0 || c.CORS != nil {
		t.Fatalf("%+v", r)
	}
	c, _ = Parse([]byte(`{"cors":{"allowed_origins":["https://a.com"]}}`))
	if c.RateLimit != nil || c.CORS.AllowMethods != "GET, HEAD, POST, PUT, PATCH, DELETE" || c.CORS.MaxAge != "" ||
		c.CORS.AllowHeaders != "content-type, authorization, x-api-key" {
		t.Fatalf("%+v", c.CORS)
	}
}

func TestWarnings(t *testing.T) {
	c, problems := Parse([]byte(`{"cors":{"allowed_origins":["https://a.com/"],"max_age":"10000s"}}`))
	if problems != nil {
		t.Fatal(problems)
	}
	w := strings.Join(c.Warnings, "\n")
	if !strings.Contains(w, "cors.allowed_origins[0]: trailing") || !strings.Contains(w, "cors.max_age") {
		t.Fatal(w)
	}
	if c.CORS.Origins[0] != "https://a.com" {
		t.Fatal(c.CORS.Origins)
	}
}

const okPlans = `"plans":{"free":{"requests":10,"window":"1m"},"pro":{"requests":100,"window":"1m"}},"default_plan":"free"`

// Each invalid configuration is refused with exactly the problems listed, each naming its field.
func TestInvalidConfigurations(t *testing.T) {
	hash := hex.EncodeToString(make([]byte, 32))
	for _, c := range []struct {
		name, json string
		want       []string // one substring per expected problem line, in order
	}{
		{"empty", ``, []string{"configuration: is empty"}},
		{"blank", "  \n", []string{"configuration: is empty"}},
		{"empty object", `{}`, []string{"has neither"}},
		{"not JSON", `{"rate_limit":`, []string{"not valid JSON"}},
		{"not an object", `[1]`, []string{"must be a JSON object"}},
		{"unknown top field", `{"ratelimit":{}}`, []string{`ratelimit: unknown field; did you mean "rate_limit"?`}},
		{"unknown rl field", `{"rate_limit":{` + okPlans + `,"plan":"x"}}`, []string{`rate_limit.plan: unknown field; did you mean "plans"?`}},
		{"duplicate field", `{"rate_limit":{` + okPlans + `,"failure_mode":"open","failure_mode":"closed"}}`, []string{"rate_limit.failure_mode: appears twice"}},
		{"section not object", `{"rate_limit":true}`, []string{"rate_limit: must be a JSON object, not true"}},
		{"no plans", `{"rate_limit":{}}`, []string{"rate_limit.plans: is required"}},
		{"plans empty", `{"rate_limit":{"plans":{}}}`, []string{"rate_limit.plans: is empty"}},
		{"plans not object", `{"rate_limit":{"plans":[]}}`, []string{"rate_limit.plans: must be an object"}},
		{"requests missing", `{"rate_limit":{"plans":{"a":{"window":"1s"}}}}`, []string{"rate_limit.plans.a.requests: is required"}},
		{"window missing", `{"rate_limit":{"plans":{"a":{"requests":1}}}}`, []string{"rate_limit.plans.a.window: is required"}},
		{"requests zero", `{"rate_limit":{"plans":{"a":{"requests":0,"window":"1s"}}}}`, []string{"rate_limit.plans.a.requests: 0 is out of range"}},
		{"requests huge", `{"rate_limit":{"plans":{"a":{"requests":1000000001,"window":"1s"}}}}`, []string{"out of range"}},
		{"requests fractional", `{"rate_limit":{"plans":{"a":{"requests":1.5,"window":"1s"}}}}`, []string{"1.5 is not a whole number"}},
		{"requests string", `{"rate_limit":{"plans":{"a":{"requests":"10","window":"1s"}}}}`, []string{`must be a whole number from 1 to 1000000000, not the string "10"`}},
		{"window no unit", `{"rate_limit":{"plans":{"a":{"requests":1,"window":"60"}}}}`, []string{`rate_limit.plans.a.window: "60" is not a duration`}},
		{"window short", `{"rate_limit":{"plans":{"a":{"requests":1,"window":"500ms"}}}}`, []string{"out of range; use 1s to 24h"}},
		{"window long", `{"rate_limit":{"plans":{"a":{"requests":1,"window":"25h"}}}}`, []string{"out of range"}},
		{"window sub-ms", `{"rate_limit":{"plans":{"a":{"requests":1,"window":"1.0000001s"}}}}`, []string{"whole number of milliseconds"}},
		{"window number", `{"rate_limit":{"plans":{"a":{"requests":1,"window":60}}}}`, []string{"must be a duration string"}},
		{"both forms", `{"rate_limit":{"plans":{"a":{"requests":1,"window":"1s","limits":[]}}}}`, []string{"use one form"}},
		{"limits empty", `{"rate_limit":{"plans":{"a":{"limits":[]}}}}`, []string{"rate_limit.plans.a.limits: must be a non-empty array"}},
		{"limit bad", `{"rate_limit":{"plans":{"a":{"limits":[{"requests":1,"window":"1s"},{"requests":-1,"window":"1h"}]}}}}`, []string{"rate_limit.plans.a.limits[1].requests: -1 is out of range"}},
		{"limit unknown field", `{"rate_limit":{"plans":{"a":{"limits":[{"requests":1,"window":"1s","burst":2}]}}}}`, []string{"rate_limit.plans.a.limits[0].burst: unknown field"}},
		{"limit window twice", `{"rate_limit":{"plans":{"a":{"limits":[{"requests":1,"window":"1s"},{"requests":2,"window":"1000ms"}]}}}}`, []string{"repeats the window of limits[0]"}},
		{"too many limits", `{"rate_limit":{"plans":{"a":{"limits":[` + strings.Repeat(`{"requests":1,"window":"1s"},`, 8) + `{"requests":1,"window":"1s"}]}}}}`, []string{"at most 8"}},
		{"plan not object", `{"rate_limit":{"plans":{"a":100}}}`, []string{"rate_limit.plans.a: must be"}},
		{"default plan missing", `{"rate_limit":{"plans":{"free":{"requests":10,"window":"1m"},"pro":{"requests":100,"window":"1m"}}}}`, []string{"rate_limit.default_plan: is required when there are several plans"}},
		{"default plan unknown", `{"rate_limit":{"plans":{"free":{"requests":10,"window":"1m"}},"default_plan":"gold"}}`, []string{`rate_limit.default_plan: "gold" is not a plan; use one of "free"`}},
		{"key plan unknown", `{"rate_limit":{` + okPlans + `,"keys":{"k1":"gold"}}}`, []string{`rate_limit.keys (entry 1, sha256:`, `plan "gold" is not defined`}},
		{"key with space", `{"rate_limit":{` + okPlans + `,"keys":{"bad key":"pro"}}}`, []string{"rate_limit.keys (entry 1): an API key must be 1 to 256 visible ASCII"}},
		{"key too long", `{"rate_limit":{` + okPlans + `,"keys":{"` + strings.Repeat("k", 257) + `":"pro"}}}`, []string{"1 to 256"}},
		{"key empty", `{"rate_limit":{` + okPlans + `,"keys":{"":"pro"}}}`, []string{"1 to 256"}},
		{"sha256 short", `{"rate_limit":{` + okPlans + `,"keys":{"sha256:abc":"pro"}}}`, []string{"exactly 64 hex digits"}},
		{"sha256 not hex", `{"rate_limit":{` + okPlans + `,"keys":{"sha256:` + strings.Repeat("z", 64) + `":"pro"}}}`, []string{"hex digits only"}},
		{"key plan not string", `{"rate_limit":{` + okPlans + `,"keys":{"sha256:` + hash + `":1}}}`, []string{"the plan must be a string"}},
		{"keys not object", `{"rate_limit":{` + okPlans + `,"keys":["a"]}}`, []string{"rate_limit.keys: must be an object"}},
		{"same key two plans", `{"rate_limit":{` + okPlans + `,"keys":{"test":"pro","sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08":"free"}}}`, []string{"listed twice with different plans"}},
		{"missing_key bad", `{"rate_limit":{` + okPlans + `,"missing_key":"deny"}}`, []string{`rate_limit.missing_key: "deny" is not an option; use "reject" (401) or "allow"`}},
		{"failure_mode bad", `{"rate_limit":{` + okPlans + `,"failure_mode":"fail-open"}}`, []string{`rate_limit.failure_mode: "fail-open" is not an option`}},
		{"failure_mode not string", `{"rate_limit":{` + okPlans + `,"failure_mode":true}}`, []string{"rate_limit.failure_mode: must be a string, not true"}},
		{"max_tracked_keys small", `{"rate_limit":{` + okPlans + `,"max_tracked_keys":3}}`, []string{"rate_limit.max_tracked_keys: 3 is out of range; use a number from 16 to 10000000"}},
		{"max_tracked_keys huge", `{"rate_limit":{` + okPlans + `,"max_tracked_keys":100000000}}`, []string{"out of range"}},
		{"plan_header bad", `{"rate_limit":{` + okPlans + `,"plan_header":"x plan"}}`, []string{`rate_limit.plan_header: "x plan" is not a header name`}},
		{"no key source", `{"rate_limit":{` + okPlans + `,"key":{"headers":[],"bearer":false}}}`, []string{"rate_limit.key: finds no key"}},
		{"key header bad", `{"rate_limit":{` + okPlans + `,"key":{"headers":["x-api-key","bad header",":path"]}}}`, []string{`rate_limit.key.headers[1]: "bad header" is not a header name`, `rate_limit.key.headers[2]: ":path" is not a header name`}},
		{"key header twice", `{"rate_limit":{` + okPlans + `,"key":{"headers":["x-api-key","X-API-KEY"]}}}`, []string{"listed twice"}},
		{"bearer not bool", `{"rate_limit":{` + okPlans + `,"key":{"bearer":"yes"}}}`, []string{`rate_limit.key.bearer: must be true or false, not the string "yes"`}},
		{"key unknown field", `{"rate_limit":{` + okPlans + `,"key":{"header":"x"}}}`, []string{`rate_limit.key.header: unknown field; did you mean "headers"?`}},
		{"cors no origins", `{"cors":{}}`, []string{"cors.allowed_origins: must list at least one origin"}},
		{"cors origins empty", `{"cors":{"allowed_origins":[]}}`, []string{"cors.allowed_origins: must list at least one"}},
		{"cors origin path", `{"cors":{"allowed_origins":["https://a.com/app"]}}`, []string{`cors.allowed_origins[0]: "https://a.com/app" has a path`}},
		{"cors origin query", `{"cors":{"allowed_origins":["https://a.com/?x"]}}`, []string{"query or fragment"}},
		{"cors origin userinfo", `{"cors":{"allowed_origins":["https://u:p@a.com"]}}`, []string{"user info"}},
		{"cors origin wildcard", `{"cors":{"allowed_origins":["https://*.a.com"]}}`, []string{"wildcard"}},
		{"cors origin star", `{"cors":{"allowed_origins":["*"]}}`, []string{`cors.allowed_origins[0]: "*" is not allowed`}},
		{"cors origin null", `{"cors":{"allowed_origins":["null"]}}`, []string{`"null" is not allowed`}},
		{"cors origin scheme", `{"cors":{"allowed_origins":["a.com"]}}`, []string{"has no scheme"}},
		{"cors origin not string", `{"cors":{"allowed_origins":[1]}}`, []string{"cors.allowed_origins[0]: must be a string, not the number 1"}},
		{"cors method star", `{"cors":{"allowed_origins":["https://a.com"],"allowed_methods":["*"]}}`, []string{"cors.allowed_methods[0]"}},
		{"cors header bad", `{"cors":{"allowed_origins":["https://a.com"],"allowed_headers":["a b"]}}`, []string{"cors.allowed_headers[0]"}},
		{"cors exposed bad", `{"cors":{"allowed_origins":["https://a.com"],"exposed_headers":"x"}}`, []string{"cors.exposed_headers: must be an array of strings"}},
		{"cors max_age bad", `{"cors":{"allowed_origins":["https://a.com"],"max_age":"ten minutes"}}`, []string{"cors.max_age"}},
		{"cors max_age long", `{"cors":{"allowed_origins":["https://a.com"],"max_age":"48h"}}`, []string{"out of range; use 0s to 24h"}},
		{"cors max_age fraction", `{"cors":{"allowed_origins":["https://a.com"],"max_age":"1.5s"}}`, []string{"whole number of seconds"}},
		{"cors credentials bad", `{"cors":{"allowed_origins":["https://a.com"],"allow_credentials":1}}`, []string{"cors.allow_credentials: must be true or false"}},
		{"cors unknown field", `{"cors":{"allowed_origins":["https://a.com"],"allow_origins":["x"]}}`, []string{`cors.allow_origins: unknown field; did you mean "allowed_origins"?`}},
		{"several problems", `{"rate_limit":{"plans":{"a":{"requests":0,"window":"1"}},"failure_mode":"x"},"cors":{"allowed_origins":["*"]}}`,
			[]string{"rate_limit.plans.a.requests", "rate_limit.plans.a.window", "rate_limit.failure_mode", "cors.allowed_origins[0]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg, problems := Parse([]byte(c.json))
			if cfg != nil {
				t.Fatal("accepted")
			}
			if len(problems) != len(c.want) && !(len(c.want) == 2 && strings.HasPrefix(c.want[0], "rate_limit.keys (entry")) {
				t.Fatalf("problems:\n%s\nwant %d", strings.Join(problems, "\n"), len(c.want))
			}
			all := strings.Join(problems, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("no problem contains %q:\n%s", w, all)
				}
			}
			if strings.Contains(all, "bad key") || strings.Contains(all, "k1\"") {
				t.Error("a problem line leaks a raw API key")
			}
		})
	}
}

package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pageScript calls the API the way a web app does: fetch() with an x-api-key header (so the
// browser sends a preflight first), reading the rate-limit headers the filter exposes, until a
// 429, whose Retry-After it reads too. It writes what it saw into #result.
const pageScript = `
<!doctype html><html><body><pre id="result">pending</pre><script>
(async () => {
  const out = { statuses: [], remaining: [], retryAfter: null, body: null, error: null };
  try {
    for (let i = 0; i < 6; i++) {
      const r = await fetch(%q, { headers: { "x-api-key": %q } });
      out.statuses.push(r.status);
      out.remaining.push(r.headers.get("X-RateLimit-Remaining"));
      if (r.status === 429) {
        out.retryAfter = r.headers.get("Retry-After");
        out.body = await r.json();
        break;
      }
    }
  } catch (e) {
    out.error = String(e);
  }
  document.getElementById("result").textContent = JSON.stringify(out);
})();
</script></body></html>`

type pageResult struct {
	Statuses   []int             `json:"statuses"`
	Remaining  []*string         `json:"remaining"`
	RetryAfter *string           `json:"retryAfter"`
	Body       map[string]string `json:"body"`
	Error      *string           `json:"error"`
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs Debian's chromium")
	}
	t.Skip("SKIPPED: no chromium on this machine (apt-get install chromium); .ci/run installs it")
	return ""
}

// servePage serves the page on a fixed address (its origin is what the filter checks).
func servePage(t *testing.T, addr, api, key string) string {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot serve the page on %s: %v", addr, err)
	}
	page := fmt.Sprintf(pageScript, api+"/v1/things", key)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(page))
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + addr + "/"
}

var resultRE = regexp.MustCompile(`(?s)<pre id="result">(.*?)</pre>`)

func openPage(t *testing.T, browser, url string) pageResult {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
		"--user-data-dir="+t.TempDir(), "--virtual-time-budget=15000", "--dump-dom", url)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) && len(out) == 0 {
		t.Fatalf("chromium: %v\n%s", err, stderr.String())
	}
	m := resultRE.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no #result in the page:\n%s\n%s", out, stderr.String())
	}
	text := strings.ReplaceAll(string(m[1]), "&quot;", `"`)
	t.Logf("the page at %s saw %s", url, text)
	var r pageResult
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("page result %q: %v", m[1], err)
	}
	return r
}

// A real browser against the filter: the preflight passes, the script reads the rate-limit
// headers, then a readable 429 with Retry-After; a page from a disallowed origin gets a CORS
// failure.
func TestBrowser(t *testing.T) {
	browser := chromium(t)
	tg := startHost(t, 2)
	before := readMetrics(t, tg.AdminURL)

	allowed := openPage(t, browser, servePage(t, "localhost:3000", tg.BaseURL, freshKey("browser")))
	if allowed.Error != nil {
		t.Fatalf("fetch failed in the browser: %s", *allowed.Error)
	}
	if got := fmt.Sprint(allowed.Statuses); got != "[200 200 200 429]" {
		t.Fatalf("statuses %s, want [200 200 200 429] (free plan: 3 per minute)", got)
	}
	for i, want := range []string{"2", "1", "0", "0"} {
		if allowed.Remaining[i] == nil || *allowed.Remaining[i] != want {
			t.Errorf("request %d: the script read X-RateLimit-Remaining %v, want %s", i, allowed.Remaining[i], want)
		}
	}
	if allowed.RetryAfter == nil || *allowed.RetryAfter == "" || *allowed.RetryAfter == "0" {
		t.Errorf("the script could not read Retry-After on the 429: %v", allowed.RetryAfter)
	}
	if allowed.Body["error"] != "rate_limited" {
		t.Errorf("429 body as the script read it: %v", allowed.Body)
	}

	refused := openPage(t, browser, servePage(t, "localhost:3001", tg.BaseURL, freshKey("browser-refused")))
	if refused.Error == nil || !strings.Contains(*refused.Error, "Failed to fetch") || len(refused.Statuses) != 0 {
		t.Fatalf("a page from a disallowed origin must get a CORS failure, got %+v", refused)
	}

	after := metricsAfterGrowth(t, tg.AdminURL, before, map[string]uint64{
		"koji_edge_preflights_answered": 1, "koji_edge_preflights_refused": 1})
	if after["koji_edge_preflights_answered"] <= before["koji_edge_preflights_answered"] {
		t.Error("the browser's preflight was not answered by the filter")
	}
	if after["koji_edge_preflights_refused"] <= before["koji_edge_preflights_refused"] {
		t.Error("the disallowed origin's preflight was not refused by the filter")
	}
}

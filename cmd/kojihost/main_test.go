package main

import (
	"bufio"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kojihq/koji-edge/internal/wasmbuild"
)

func buildKojihost(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "kojihost")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return bin
}

// What `make run` does: serve the .wasm with the example configuration in front of the demo
// upstream, print curl lines, answer through the filter, stop cleanly on Ctrl-C.
func TestServesTheExampleThroughTheFilter(t *testing.T) {
	bin := buildKojihost(t)
	wasm := wasmbuild.Filter(t)
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--wasm", wasm,
		"--config", filepath.Join(wasmbuild.Root(), "examples", "demo.json"))
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	sc := bufio.NewScanner(stderr)
	serving := regexp.MustCompile(`serving on (http://\S+) `)
	var base string
	var banner strings.Builder
	for sc.Scan() {
		banner.WriteString(sc.Text() + "\n")
		if m := serving.FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
		}
		if strings.Contains(sc.Text(), "Ctrl-C") {
			break
		}
	}
	if base == "" || !strings.Contains(banner.String(), "curl -i") {
		t.Fatalf("banner:\n%s", banner.String())
	}
	go io.Copy(io.Discard, stderr)

	req, _ := http.NewRequest("GET", base+"/", nil)
	req.Header.Set("x-api-key", "my-first-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Limit") != "10" || !strings.Contains(string(body), "demo upstream") {
		t.Fatalf("%d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, err = http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("no key: %d", resp.StatusCode)
	}

	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Ctrl-C: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop on Ctrl-C")
	}
}

// A mistyped configuration prints the plugin's lines, as Envoy would log them, and exits 1.
func TestRefusedConfigurationExitsNonZero(t *testing.T) {
	bin := buildKojihost(t)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"rate_limit":{"plans":{"free":{"requests":10,"window":"60"}},"surprise":1}}`), 0o644)
	out, err := exec.Command(bin, "--listen", "127.0.0.1:0", "--admin", "", "--wasm", wasmbuild.Filter(t), "--config", bad).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	for _, want := range []string{
		`koji-edge: configuration error: rate_limit.surprise: unknown field`,
		`koji-edge: configuration error: rate_limit.plans.free.window: "60" is not a duration`,
		`was refused by the plugin`,
	} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

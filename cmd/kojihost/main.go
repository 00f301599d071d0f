// Command kojihost serves a Proxy-Wasm module in koji-edge's Envoy-faithful host, in front of a
// built-in demo upstream or a URL: `make run` uses it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kojihq/koji-edge/host"
)

func main() {
	listen := flag.String("listen", envOr("KOJI_LISTEN", "localhost:8080"), "address to serve on (env KOJI_LISTEN)")
	wasmPath := flag.String("wasm", "build/koji-edge.wasm", "the Proxy-Wasm module")
	configPath := flag.String("config", "examples/demo.json", "the plugin configuration (JSON)")
	upstream := flag.String("upstream", envOr("KOJI_UPSTREAM", ""), "upstream base URL (env KOJI_UPSTREAM); empty: the built-in demo upstream")
	admin := flag.String("admin", envOr("KOJI_ADMIN", "localhost:9901"), "admin address for /stats and /stats/prometheus, as Envoy's (env KOJI_ADMIN; empty: off)")
	workers := flag.Int("workers", 2, "worker VMs, like Envoy's --concurrency")
	vmID := flag.String("vm-id", "koji-edge", "vm_id: the shared-data namespace")
	quiet := flag.Bool("quiet", false, "log only warnings and errors")
	flag.Parse()

	wasm, err := os.ReadFile(*wasmPath)
	if err != nil {
		log.Fatalf("kojihost: %v (run `make build` first)", err)
	}
	config, err := os.ReadFile(*configPath)
	if err != nil {
		log.Fatalf("kojihost: %v", err)
	}
	sink := func(e host.LogEntry) {
		if *quiet && e.Level < host.LevelWarn {
			return
		}
		fmt.Fprintf(os.Stderr, "[%s][%s][wasm] wasm log %s: %s\n", time.Now().Format("2006-01-02 15:04:05.000"), e.Level, e.VM, e.Message)
	}
	h, err := host.New(wasm, host.Options{Workers: *workers, VMID: *vmID, Configuration: config, LogSink: sink})
	var ce *host.ConfigError
	if errors.As(err, &ce) {
		fmt.Fprintf(os.Stderr, "kojihost: %s was refused by the plugin (Envoy would reject it the same way); see the lines above\n", *configPath)
		os.Exit(1)
	}
	if err != nil {
		log.Fatalf("kojihost: %v", err)
	}
	defer h.Close()

	up := host.DemoUpstream()
	target := "the built-in demo upstream"
	if *upstream != "" {
		up, target = host.HTTPUpstream(*upstream), *upstream
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("kojihost: %v", err)
	}
	srv := &http.Server{Handler: h.Handler(up), ReadHeaderTimeout: 10 * time.Second}
	adminURL := "(off)"
	if *admin != "" {
		aln, err := net.Listen("tcp", *admin)
		if err != nil {
			log.Fatalf("kojihost: admin: %v", err)
		}
		adminURL = "http://" + aln.Addr().String() + "/stats?filter=koji_edge"
		go http.Serve(aln, h.AdminHandler())
	}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(os.Stderr, `
koji-edge is serving on %s in front of %s (%d worker VMs, config %s).
Metrics: %s
Try:
  curl -i %s/ -H 'x-api-key: my-first-key'                  # counted: X-RateLimit-* headers
  for i in $(seq 12); do curl -s -o /dev/null -w '%%{http_code} ' %s/ -H 'x-api-key: my-first-key'; done; echo   # 429 after 10
  curl -i %s/                                               # 401 missing_api_key
  curl -i -X OPTIONS %s/ -H 'Origin: http://localhost:3000' -H 'Access-Control-Request-Method: GET' -H 'Access-Control-Request-Headers: x-api-key'
Press Ctrl-C to stop.

`, base, target, *workers, *configPath, adminURL, base, base, base, base)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-stop
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("kojihost: %v", err)
	}
	fmt.Fprintln(os.Stderr, "kojihost: stopped")
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

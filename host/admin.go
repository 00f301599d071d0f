package host

import (
	"fmt"
	"net/http"
	"strings"
)

// AdminHandler serves custom metrics the way Envoy's admin endpoint shows them: /stats as
// "wasmcustom.<name>: <value>" lines (?filter=<substring> narrows them), /stats/prometheus as
// "<name> <value>" with a TYPE line, and /ready.
func (h *Host) AdminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=UTF-8")
		filter := r.URL.Query().Get("filter")
		for _, name := range h.Metrics.Names() {
			if filter != "" && !strings.Contains(name, filter) {
				continue
			}
			v, _ := h.Metrics.Value(name)
			fmt.Fprintf(w, "wasmcustom.%s: %d\n", name, v)
		}
	})
	mux.HandleFunc("/stats/prometheus", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		for _, name := range h.Metrics.Names() {
			v, _ := h.Metrics.Value(name)
			kind := "counter"
			if h.Metrics.kind(name) == Gauge {
				kind = "gauge"
			}
			fmt.Fprintf(w, "# TYPE %s %s\n%s{} %d\n", name, kind, name, v)
		}
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "LIVE") })
	return mux
}

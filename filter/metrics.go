package filter

import "github.com/kojihq/koji-edge/proxywasm"

// The counters of CONTRACT §5. Envoy aggregates a name across worker VMs and shows it as
// wasmcustom.<name> in /stats and as <name> in /stats/prometheus.
const (
	metricAllowed           = "koji_edge_requests_allowed"
	metricRateLimited       = "koji_edge_requests_rate_limited"
	metricKeyRejected       = "koji_edge_requests_key_rejected"
	metricPreflightAnswered = "koji_edge_preflights_answered"
	metricPreflightRefused  = "koji_edge_preflights_refused"
	metricOriginRefused     = "koji_edge_origins_refused"
	metricCASConflicts      = "koji_edge_cas_conflicts"
	metricStoreFailures     = "koji_edge_store_failures"
	metricFailedOpen        = "koji_edge_failed_open"
)

// MetricNames lists every counter the filter defines at start.
var MetricNames = []string{metricAllowed, metricRateLimited, metricKeyRejected, metricPreflightAnswered,
	metricPreflightRefused, metricOriginRefused, metricCASConflicts, metricStoreFailures, metricFailedOpen}

// metrics counts in the VM and reports to the host once per tick (flushEveryMs), and when the
// plugin is shut down, rather than with a host call on every request, which was a measurable
// part of a counted request's cost (BENCHMARKS.md). Envoy's /stats lags by at most one tick; a
// VM that traps loses at most one tick's counts.
type metrics struct {
	allowed, rateLimited, keyRejected, preflightAnswered, preflightRefused,
	originRefused, casConflicts, storeFailures, failedOpen counter
}

type counter struct {
	id      uint32
	pending uint64 // counted since the last report
}

const flushEveryMs = 1000

// all is every counter, in MetricNames order.
func (m *metrics) all() [9]*counter {
	return [...]*counter{&m.allowed, &m.rateLimited, &m.keyRejected, &m.preflightAnswered, &m.preflightRefused,
		&m.originRefused, &m.casConflicts, &m.storeFailures, &m.failedOpen}
}

func (m *metrics) define() bool {
	for i, c := range m.all() {
		id, st := proxywasm.DefineCounter(MetricNames[i])
		if st != proxywasm.StatusOK {
			return false
		}
		c.id = id
	}
	return true
}

func inc(c *counter) { c.pending++ }

// flush reports what was counted since the last flush; a count the host refuses is kept for the
// next one.
func (m *metrics) flush() {
	for _, c := range m.all() {
		if c.pending > 0 && proxywasm.IncrementCounter(c.id, int64(c.pending)) == proxywasm.StatusOK {
			c.pending = 0
		}
	}
}

// throttledLog keeps a failing store from flooding Envoy's log: one line per 10 s, saying
// how many were held back.
type throttledLog struct {
	last       int64
	suppressed uint64
}

func (l *throttledLog) error(now int64, msg string) {
	if l.last != 0 && now-l.last < 10e9 {
		l.suppressed++
		return
	}
	if l.suppressed > 0 {
		msg += " (" + itoa(l.suppressed) + " similar lines held back)"
	}
	l.last, l.suppressed = now, 0
	proxywasm.Log(proxywasm.LevelError, msg)
}

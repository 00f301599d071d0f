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

type metrics struct {
	allowed, rateLimited, keyRejected, preflightAnswered, preflightRefused,
	originRefused, casConflicts, storeFailures, failedOpen uint32
}

func (m *metrics) define() bool {
	ids := []*uint32{&m.allowed, &m.rateLimited, &m.keyRejected, &m.preflightAnswered, &m.preflightRefused,
		&m.originRefused, &m.casConflicts, &m.storeFailures, &m.failedOpen}
	for i, name := range MetricNames {
		id, st := proxywasm.DefineCounter(name)
		if st != proxywasm.StatusOK {
			return false
		}
		*ids[i] = id
	}
	return true
}

func inc(id uint32) { proxywasm.IncrementCounter(id, 1) }

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

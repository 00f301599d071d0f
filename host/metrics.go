package host

import (
	"sort"
	"sync"
	"sync/atomic"
)

// MetricType is a proxy_metric_type_t.
type MetricType uint32

// Metric types.
const (
	Counter   MetricType = 0
	Gauge     MetricType = 1
	Histogram MetricType = 2
)

// Metrics holds custom metrics by name, aggregated across VMs as Envoy's stats store does
// (every define of a name is the same stat, "wasmcustom.<name>"). Values are atomics, so
// workers updating them do not serialise on a lock, as Envoy's stats do not.
type Metrics struct {
	mu     sync.Mutex // guards the name table
	values map[string]*metric
}

type metric struct {
	kind  MetricType
	value atomic.Uint64
}

func newMetrics() *Metrics { return &Metrics{values: map[string]*metric{}} }

func (m *Metrics) define(kind MetricType, name string) *metric {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.values[name]; ok {
		return v
	}
	v := &metric{kind: kind}
	m.values[name] = v
	return v
}

// Value returns a metric's value and whether it is defined.
func (m *Metrics) Value(name string) (uint64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.values[name]
	if !ok {
		return 0, false
	}
	return v.value.Load(), true
}

// Names lists the defined metrics.
func (m *Metrics) Names() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var names []string
	for n := range m.values {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (m *Metrics) add(v *metric, delta int64) Status {
	switch v.kind {
	case Counter:
		if delta <= 0 {
			return StatusBadArgument
		}
		v.value.Add(uint64(delta))
	case Gauge:
		v.value.Add(uint64(delta)) // two's complement: a negative delta subtracts
	default:
		return StatusBadArgument
	}
	return StatusOK
}

func (m *Metrics) record(v *metric, value uint64) Status {
	switch v.kind {
	case Counter:
		v.value.Add(value)
	default:
		v.value.Store(value) // gauges; histograms keep the last sample, enough for tests
	}
	return StatusOK
}

func (m *Metrics) get(v *metric) (uint64, Status) {
	if v.kind == Histogram {
		return 0, StatusBadArgument
	}
	return v.value.Load(), StatusOK
}

func (m *Metrics) kind(name string) MetricType {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.values[name]; ok {
		return v.kind
	}
	return Counter
}

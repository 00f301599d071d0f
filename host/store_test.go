package host

import "testing"

func TestSharedStoreFollowsEnvoysCASRules(t *testing.T) {
	s := NewSharedStore()
	if _, _, st := s.Get("vm", "k"); st != StatusNotFound {
		t.Fatal("missing key must be NotFound")
	}
	// A missing key is inserted even with a non-zero cas.
	if st := s.Set("vm", []byte("k"), []byte("a"), 12345); st != StatusOK {
		t.Fatal(st)
	}
	_, cas1, _ := s.Get("vm", "k")
	if cas1 != 1 {
		t.Fatalf("first cas %d, want 1 (a global counter from 1)", cas1)
	}
	if st := s.Set("vm", []byte("k"), []byte("b"), cas1+7); st != StatusCasMismatch {
		t.Fatal("stale cas must mismatch")
	}
	if st := s.Set("vm", []byte("k"), []byte("b"), cas1); st != StatusOK {
		t.Fatal(st)
	}
	if st := s.Set("vm", []byte("other"), []byte("x"), 0); st != StatusOK {
		t.Fatal(st)
	}
	v, cas2, _ := s.Get("vm", "k")
	if string(v) != "b" || cas2 != 2 {
		t.Fatalf("%q %d", v, cas2)
	}
	// cas 0 is unconditional.
	if st := s.Set("vm", []byte("k"), []byte("c"), 0); st != StatusOK {
		t.Fatal(st)
	}
	// vm_ids are separate namespaces; empty values are values, not deletes.
	if _, _, st := s.Get("other-vm", "k"); st != StatusNotFound {
		t.Fatal("vm_id namespaces leak")
	}
	s.Set("vm", []byte("k"), nil, 0)
	if v, _, st := s.Get("vm", "k"); st != StatusOK || len(v) != 0 || s.Len("vm") != 2 {
		t.Fatal("empty value must stay a key")
	}
	s.SetFaults(Faults{AlwaysMismatch: true})
	_, cas, _ := s.Get("vm", "k")
	if st := s.Set("vm", []byte("k"), []byte("d"), cas); st != StatusCasMismatch {
		t.Fatal("fault not applied")
	}
	s.SetFaults(Faults{GetStatus: StatusInternalFailure})
	if _, _, st := s.Get("vm", "k"); st != StatusInternalFailure {
		t.Fatal("fault not applied")
	}
}

func TestCASWrapsPastZero(t *testing.T) {
	s := NewSharedStore()
	s.cas = ^uint32(0)
	s.Set("vm", []byte("a"), nil, 0)
	s.Set("vm", []byte("b"), nil, 0)
	_, ca, _ := s.Get("vm", "a")
	_, cb, _ := s.Get("vm", "b")
	if ca != ^uint32(0) || cb != 1 {
		t.Fatalf("%d %d", ca, cb)
	}
}

func TestHeaderMapSemantics(t *testing.T) {
	m := NewRequestHeaders("GET", "/p?q=1", "api.example", "http", []Header{
		{"X-Api-Key", "a"}, {"x-api-key", "b"}, {"Authorization", "Bearer x"}, {"authorization", "Bearer y"}})
	if m.kv[0][0] != ":authority" || m.kv[1] != (Header{":path", "/p?q=1"}) {
		t.Fatalf("pseudo-headers first: %v", m.kv)
	}
	if v, _ := m.Get("x-api-key"); v != "a" || len(m.Values("x-api-key")) != 2 {
		t.Fatal("x-api-key must stay two entries, get returns the first")
	}
	if v := m.Values("authorization"); len(v) != 1 || v[0] != "Bearer x, Bearer y" {
		t.Fatalf("authorization must be coalesced: %v", v)
	}
	m.Replace("x-api-key", "c")
	if v := m.Values("x-api-key"); len(v) != 1 || v[0] != "c" {
		t.Fatalf("replace leaves one value: %v", v)
	}
	m.Add("vary", "a")
	m.Add("Vary", "b")
	m.Remove("VARY")
	if len(m.Values("vary")) != 0 {
		t.Fatal("remove removes all")
	}
}

func TestPairsRoundTripAndRejectMalformed(t *testing.T) {
	kv := []Header{{"a", "1"}, {"bb", ""}, {"", "x"}}
	got, ok := decodePairs(encodePairs(kv))
	if !ok || len(got) != 3 || got[1] != kv[1] {
		t.Fatal(got)
	}
	bad := encodePairs(kv)
	if _, ok := decodePairs(bad[:len(bad)-1]); ok {
		t.Fatal("truncated pairs accepted")
	}
	if _, ok := decodePairs(append(bad, 0)); ok {
		t.Fatal("trailing bytes accepted")
	}
}

func TestMetricsAggregateByNameAndRejectNonPositiveCounterDeltas(t *testing.T) {
	m := newMetrics()
	a, b := m.define(Counter, "c"), m.define(Counter, "c")
	if a != b {
		t.Fatal("the same name must be the same stat across defines")
	}
	if m.add(a, 2) != StatusOK || m.add(b, 3) != StatusOK || m.add(a, 0) != StatusBadArgument || m.add(a, -1) != StatusBadArgument {
		t.Fatal("counter deltas")
	}
	if v, _ := m.Value("c"); v != 5 {
		t.Fatal(v)
	}
	g := m.define(Gauge, "g")
	m.add(g, 5)
	m.add(g, -2)
	if v, _ := m.Value("g"); v != 3 {
		t.Fatal(v)
	}
	if _, st := m.get(m.define(Histogram, "h")); st != StatusBadArgument {
		t.Fatal("histograms cannot be read")
	}
}

package host

import (
	"sync"
)

// SharedStore is Envoy's process-wide shared data (proxy-wasm-cpp-host src/shared_data.cc):
// one map per vm_id behind a mutex, one global CAS counter from 1 that skips 0 on wrap, a
// write with cas 0 or to a missing key is unconditional, and nothing is ever deleted.
type SharedStore struct {
	mu     sync.Mutex
	data   map[string]map[string]*sharedEntry
	cas    uint32
	faults Faults
	sets   int // conditional sets to existing keys, for MismatchEvery
	gets   int
}

type sharedEntry struct {
	value []byte
	cas   uint32
}

// Faults makes the store misbehave, for failure-mode tests.
type Faults struct {
	GetStatus      Status // non-zero: every get answers this
	SetStatus      Status // non-zero: every set answers this
	AlwaysMismatch bool   // every conditional set answers CasMismatch
	// MismatchEvery n > 0: every n-th conditional set to an existing key answers CasMismatch,
	// as if another worker had written first (a CAS storm).
	MismatchEvery int
	// GetFailEvery n > 0: every n-th get answers InternalFailure.
	GetFailEvery int
}

// Status is a proxy_status_t.
type Status uint32

// Proxy-Wasm statuses (spec "Types").
const (
	StatusOK                  Status = 0
	StatusNotFound            Status = 1
	StatusBadArgument         Status = 2
	StatusInvalidMemoryAccess Status = 6
	StatusEmpty               Status = 7
	StatusCasMismatch         Status = 8
	StatusInternalFailure     Status = 10
	StatusUnimplemented       Status = 12
)

// NewSharedStore returns an empty store.
func NewSharedStore() *SharedStore {
	return &SharedStore{data: map[string]map[string]*sharedEntry{}, cas: 1}
}

// SetFaults installs (or, with the zero value, removes) injected faults.
func (s *SharedStore) SetFaults(f Faults) {
	s.mu.Lock()
	s.faults = f
	s.mu.Unlock()
}

func (s *SharedStore) nextCAS() uint32 {
	c := s.cas
	s.cas++
	if s.cas == 0 {
		s.cas = 1
	}
	return c
}

// Get returns a copy of the value and its CAS token.
func (s *SharedStore) Get(vmID, key string) ([]byte, uint32, Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.GetStatus != 0 {
		return nil, 0, s.faults.GetStatus
	}
	e, ok := s.data[vmID][key]
	if !ok {
		return nil, 0, StatusNotFound
	}
	return append([]byte(nil), e.value...), e.cas, StatusOK
}

// get is Get without the copy, for the VM that copies straight into guest memory.
func (s *SharedStore) get(vmID string, key []byte, use func(value []byte, cas uint32)) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.GetStatus != 0 {
		return s.faults.GetStatus
	}
	if n := s.faults.GetFailEvery; n > 0 {
		if s.gets++; s.gets%n == 0 {
			return StatusInternalFailure
		}
	}
	e, ok := s.data[vmID][string(key)]
	if !ok {
		return StatusNotFound
	}
	use(e.value, e.cas)
	return StatusOK
}

// Set stores value if cas is 0, the key is missing, or cas matches.
func (s *SharedStore) Set(vmID string, key, value []byte, cas uint32) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.SetStatus != 0 {
		return s.faults.SetStatus
	}
	m := s.data[vmID]
	if m == nil {
		m = map[string]*sharedEntry{}
		s.data[vmID] = m
	}
	e, ok := m[string(key)]
	if ok && cas != 0 {
		storm := false
		if n := s.faults.MismatchEvery; n > 0 {
			s.sets++
			storm = s.sets%n == 0
		}
		if cas != e.cas || s.faults.AlwaysMismatch || storm {
			return StatusCasMismatch
		}
	}
	if !ok {
		e = &sharedEntry{}
		m[string(key)] = e
	}
	e.value = append(e.value[:0], value...)
	e.cas = s.nextCAS()
	return StatusOK
}

// Keys lists the keys of one vm_id, for tests that bound the table.
func (s *SharedStore) Keys(vmID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys := make([]string, 0, len(s.data[vmID]))
	for k := range s.data[vmID] {
		keys = append(keys, k)
	}
	return keys
}

// Len is the number of keys of one vm_id.
func (s *SharedStore) Len(vmID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data[vmID])
}

// Bytes is the total size of keys and values of one vm_id.
func (s *SharedStore) Bytes(vmID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, e := range s.data[vmID] {
		n += len(k) + len(e.value)
	}
	return n
}

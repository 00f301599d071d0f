package host

import "strings"

// HeaderMap follows Envoy's header semantics as the Wasm ABI sees them
// (source/extensions/common/wasm/context.cc): keys lower case, get returns the first value,
// add appends, replace leaves exactly one value, remove removes all.
type HeaderMap struct {
	kv [][2]string
}

// Header is one name and value.
type Header = [2]string

// coalesced are request headers Envoy's codecs join into one "a, b" value when repeated
// (inline headers; envoy-host.md §9).
var coalesced = map[string]bool{
	"origin": true, "authorization": true, "access-control-request-method": true,
	"access-control-request-headers": true, "vary": true, "accept": true, "accept-encoding": true,
	"cache-control": true, "content-type": true, "user-agent": true, "te": true,
}

// NewRequestHeaders builds a request map as Envoy's codec does: pseudo-headers first, names
// lower case, repeated inline headers coalesced.
func NewRequestHeaders(method, path, authority, scheme string, headers []Header) *HeaderMap {
	m := &HeaderMap{}
	m.Add(":authority", authority)
	m.Add(":path", path)
	m.Add(":method", method)
	m.Add(":scheme", scheme)
	for _, h := range headers {
		name := strings.ToLower(h[0])
		if coalesced[name] {
			if i := m.index(name); i >= 0 {
				m.kv[i][1] += ", " + h[1]
				continue
			}
		}
		m.Add(name, h[1])
	}
	return m
}

// NewResponseHeaders builds a response map with :status first.
func NewResponseHeaders(status int, headers []Header) *HeaderMap {
	m := &HeaderMap{}
	m.Add(":status", itoa(status))
	for _, h := range headers {
		m.Add(strings.ToLower(h[0]), h[1])
	}
	return m
}

func (m *HeaderMap) index(name string) int {
	for i, kv := range m.kv {
		if kv[0] == name {
			return i
		}
	}
	return -1
}

// Get returns the first value.
func (m *HeaderMap) Get(name string) (string, bool) {
	if i := m.index(strings.ToLower(name)); i >= 0 {
		return m.kv[i][1], true
	}
	return "", false
}

// Values returns every value of a name.
func (m *HeaderMap) Values(name string) []string {
	name = strings.ToLower(name)
	var out []string
	for _, kv := range m.kv {
		if kv[0] == name {
			out = append(out, kv[1])
		}
	}
	return out
}

// Add appends a value.
func (m *HeaderMap) Add(name, value string) {
	m.kv = append(m.kv, Header{strings.ToLower(name), value})
}

// Replace leaves exactly one value.
func (m *HeaderMap) Replace(name, value string) {
	name = strings.ToLower(name)
	if i := m.index(name); i >= 0 {
		m.kv[i][1] = value
		m.removeFrom(name, i+1)
		return
	}
	m.Add(name, value)
}

// Remove removes every value of a name.
func (m *HeaderMap) Remove(name string) { m.removeFrom(strings.ToLower(name), 0) }

func (m *HeaderMap) removeFrom(name string, from int) {
	out := m.kv[:from]
	for _, kv := range m.kv[from:] {
		if kv[0] != name {
			out = append(out, kv)
		}
	}
	m.kv = out
}

// Len is the number of headers.
func (m *HeaderMap) Len() int { return len(m.kv) }

// setPairs replaces the whole map.
func (m *HeaderMap) setPairs(kv []Header) {
	m.kv = m.kv[:0]
	for _, h := range kv {
		m.Add(h[0], h[1])
	}
}

// byteSize is what proxy_get_header_map_size answers: Envoy's byteSize(), not a count.
func (m *HeaderMap) byteSize() int {
	n := 0
	for _, kv := range m.kv {
		n += len(kv[0]) + len(kv[1])
	}
	return n
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}

// encodePairs is the Proxy-Wasm pairs serialisation.
func encodePairs(kv []Header) []byte {
	size := 4
	for _, h := range kv {
		size += 8 + len(h[0]) + len(h[1]) + 2
	}
	b := make([]byte, size)
	putU32(b, uint32(len(kv)))
	off := 4
	for _, h := range kv {
		putU32(b[off:], uint32(len(h[0])))
		putU32(b[off+4:], uint32(len(h[1])))
		off += 8
	}
	for _, h := range kv {
		off += copy(b[off:], h[0]) + 1
		off += copy(b[off:], h[1]) + 1
	}
	return b
}

// decodePairs parses the pairs serialisation like cpp-host's toPairs: anything malformed,
// over 1 MiB or over 1024 pairs yields no pairs.
func decodePairs(b []byte) ([]Header, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if len(b) < 4 || len(b) > 1<<20 {
		return nil, false
	}
	n := int(getU32(b))
	if n > 1024 || 4+8*n > len(b) {
		return nil, false
	}
	out := make([]Header, 0, n)
	data := 4 + 8*n
	for i := 0; i < n; i++ {
		kl := int(getU32(b[4+8*i:]))
		vl := int(getU32(b[8+8*i:]))
		if data+kl+1+vl+1 > len(b) || b[data+kl] != 0 || b[data+kl+1+vl] != 0 {
			return nil, false
		}
		out = append(out, Header{string(b[data : data+kl]), string(b[data+kl+1 : data+kl+1+vl])})
		data += kl + 1 + vl + 1
	}
	if data != len(b) {
		return nil, false
	}
	return out, true
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
func getU32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

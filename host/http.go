package host

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds what the front end buffers of a request body.
const maxBody = 1 << 20

// hopByHop headers are the connection's, not the message's (RFC 9110 §7.6.1).
var hopByHop = map[string]bool{"connection": true, "keep-alive": true, "proxy-connection": true,
	"te": true, "trailer": true, "transfer-encoding": true, "upgrade": true}

// Handler turns each HTTP request into a stream on the next worker VM, then answers with what
// the filter and the upstream made of it.
func (h *Host) Handler(up Upstream) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil || len(body) > maxBody {
			http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
			return
		}
		req := &Request{Method: r.Method, Path: r.URL.RequestURI(), Authority: r.Host, Scheme: "http", Body: body}
		for _, name := range headerOrder(r.Header) {
			if hopByHop[strings.ToLower(name)] {
				continue
			}
			for _, v := range r.Header[name] {
				req.Headers = append(req.Headers, Header{name, v})
			}
		}
		req.Headers = append(req.Headers, Header{"x-forwarded-proto", "http"}, Header{"x-request-id", requestID()})
		resp, err := h.Do(req, up)
		if err != nil {
			h.logf(LevelError, "host", "stream failed: %v", err)
			http.Error(w, "host: "+err.Error(), http.StatusInternalServerError)
			return
		}
		out := w.Header()
		for _, kv := range resp.Headers {
			if kv[0] == "content-length" || hopByHop[kv[0]] {
				continue
			}
			out[http.CanonicalHeaderKey(kv[0])] = append(out[http.CanonicalHeaderKey(kv[0])], kv[1])
		}
		out.Set("Server", "koji-edge-host")
		w.WriteHeader(resp.Status)
		if r.Method != http.MethodHead {
			w.Write(resp.Body)
		}
	})
}

// headerOrder keeps net/http's map iteration out of the stream: names sorted, so runs repeat.
func headerOrder(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && names[j] < names[j-1]; j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
	return names
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HTTPUpstream proxies to a base URL such as http://127.0.0.1:9000.
func HTTPUpstream(base string) Upstream {
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: 64, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}}
	base = strings.TrimSuffix(base, "/")
	return func(req *Request, headers *HeaderMap) (*Response, error) {
		out, err := http.NewRequest(req.Method, base+req.Path, bytes.NewReader(req.Body))
		if err != nil {
			return nil, err
		}
		for _, kv := range headers.kv {
			if strings.HasPrefix(kv[0], ":") || hopByHop[kv[0]] {
				continue
			}
			out.Header.Add(kv[0], kv[1])
		}
		if a, ok := headers.Get(":authority"); ok {
			out.Host = a
		}
		resp, err := client.Do(out)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
		if err != nil {
			return nil, err
		}
		r := &Response{Status: resp.StatusCode, Body: body}
		for _, name := range headerOrder(resp.Header) {
			if hopByHop[strings.ToLower(name)] || strings.EqualFold(name, "content-length") {
				continue
			}
			for _, v := range resp.Header[name] {
				r.Headers = append(r.Headers, Header{name, v})
			}
		}
		if len(body) > 0 {
			r.Headers = append(r.Headers, Header{"content-length", itoa(len(body))})
		}
		return r, nil
	}
}

// DemoUpstream answers every request itself with a small JSON echo, so `make run` needs
// nothing else.
func DemoUpstream() Upstream {
	return func(req *Request, headers *HeaderMap) (*Response, error) {
		body, _ := json.Marshal(map[string]any{"ok": true, "method": req.Method, "path": req.Path,
			"message": "hello from the demo upstream, through koji-edge"})
		body = append(body, '\n')
		return &Response{Status: 200, Body: body, Headers: []Header{{"content-type", "application/json"},
			{"content-length", itoa(len(body))}}}, nil
	}
}

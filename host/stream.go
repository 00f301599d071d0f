package host

import (
	"errors"
	"strconv"
	"strings"
)

// Request is an HTTP request as a stream sees it.
type Request struct {
	Method, Path, Authority, Scheme string
	Headers                         []Header
	Body                            []byte
}

// Response is what the client gets.
type Response struct {
	Status  int
	Headers []Header
	Body    []byte
	// LocalReply is set when the plugin answered (proxy_send_local_response).
	LocalReply bool
}

// Get returns the first value of a response header.
func (r *Response) Get(name string) string {
	v, _ := (&HeaderMap{kv: r.Headers}).Get(name)
	return v
}

// Values returns every value of a response header.
func (r *Response) Values(name string) []string { return (&HeaderMap{kv: r.Headers}).Values(name) }

// Upstream serves a request the filter let through; headers are the request map after the
// filter ran. An error is answered 503 as Envoy's router does.
type Upstream func(req *Request, headers *HeaderMap) (*Response, error)

type stream struct {
	id                uint32
	req, resp         *HeaderMap
	reqOpen, respOpen bool
	logging           bool
	bodyOpen          int // buffer type readable now, -1 none
	body              []byte
	local             *localReply
	localReplies      int
}

type localReply struct {
	status  int
	headers []Header
	body    []byte
	direct  bool // sent from a response callback: bypasses the filter chain
}

// Do runs one request through worker VMs in turn, as Envoy spreads connections over workers.
func (h *Host) Do(req *Request, up Upstream) (*Response, error) {
	workers := h.Workers()
	vm := workers[h.next.Add(1)%uint64(len(workers))]
	return h.serve(vm, req, up)
}

// DoOn runs one request on worker i.
func (h *Host) DoOn(i int, req *Request, up Upstream) (*Response, error) {
	return h.serve(h.Worker(i), req, up)
}

var errFailed = errors.New("the worker's VM failed")

func (h *Host) serve(vm *VM, req *Request, up Upstream) (*Response, error) {
	if vm.Failed() != nil {
		switch h.opt.FailurePolicy {
		case FailOpen:
			return callUpstream(req, requestMap(req), up), nil
		case FailReload:
			for i, w := range h.Workers() {
				if w == vm {
					if err := h.ReplaceWorker(i); err != nil {
						return nil, err
					}
					return h.serve(h.Worker(i), req, up)
				}
			}
		}
		return failResponse(), nil
	}
	resp, err := vm.serve(req, up)
	if errors.Is(err, errFailed) {
		return failResponse(), nil
	}
	return resp, err
}

// failResponse is Envoy's reply on a stream whose VM failed (failStream → 503).
func failResponse() *Response {
	return &Response{Status: 503, Headers: []Header{{"content-type", "text/plain"}}, Body: []byte("wasm_fail_stream")}
}

func requestMap(req *Request) *HeaderMap {
	scheme := req.Scheme
	if scheme == "" {
		scheme = "http"
	}
	return NewRequestHeaders(req.Method, req.Path, req.Authority, scheme, req.Headers)
}

func (vm *VM) serve(req *Request, up Upstream) (*Response, error) {
	s := &stream{req: requestMap(req), bodyOpen: -1}

	vm.mu.Lock()
	s.id = vm.nextID
	vm.nextID++
	vm.cur = s
	err := vm.requestPhase(s, req)
	vm.cur = nil
	vm.mu.Unlock()
	if err != nil {
		return nil, err
	}

	var resp *Response
	if s.local != nil {
		resp = s.local.response()
	} else {
		resp = callUpstream(req, s.req, up)
	}
	if s.local != nil && s.local.direct {
		return resp, nil
	}

	vm.mu.Lock()
	defer vm.mu.Unlock()
	vm.cur = s
	defer func() { vm.cur = nil }()
	if err := vm.responsePhase(s, resp); err != nil {
		return nil, err
	}
	return resp, nil
}

func (vm *VM) requestPhase(s *stream, req *Request) error {
	if _, err := vm.call(vm.fn.contextCreate, uint64(s.id), rootID); err != nil {
		return errFailed
	}
	s.reqOpen = true
	action, err := vm.call(vm.fn.requestHeaders, uint64(s.id), uint64(s.req.Len()), b2u(len(req.Body) == 0))
	// Envoy drops the request map once the callback has returned.
	s.reqOpen = false
	if err != nil {
		return errFailed
	}
	if s.local != nil { // send_local_response forces a stop, whatever the callback returned
		return nil
	}
	if action != 0 {
		return errors.New("the filter paused the request without a local reply: Envoy would hold it until proxy_continue_stream")
	}
	if len(req.Body) > 0 {
		s.bodyOpen, s.body = 0, req.Body
		_, err = vm.call(vm.fn.requestBody, uint64(s.id), uint64(len(req.Body)), 1)
		s.bodyOpen, s.body = -1, nil
		if err != nil {
			return errFailed
		}
	}
	return nil
}

// responsePhase runs the response callbacks on an upstream response or on the plugin's own
// local reply (Envoy sends a local reply through the whole encoder chain, this filter
// included), then on_log, on_done, on_delete.
func (vm *VM) responsePhase(s *stream, resp *Response) error {
	s.resp = NewResponseHeaders(resp.Status, resp.Headers)
	s.respOpen = true
	_, err := vm.call(vm.fn.responseHeaders, uint64(s.id), uint64(s.resp.Len()), b2u(len(resp.Body) == 0))
	s.respOpen = false
	if err != nil {
		return errFailed
	}
	if len(resp.Body) > 0 {
		s.bodyOpen, s.body = 1, resp.Body
		_, err = vm.call(vm.fn.responseBody, uint64(s.id), uint64(len(resp.Body)), 1)
		s.bodyOpen, s.body = -1, nil
		if err != nil {
			return errFailed
		}
	}
	if s.local != nil && s.local.direct {
		// The filter replied from its response callback: Envoy sends that reply directly.
		*resp = *s.local.response()
	} else {
		status, _ := s.resp.Get(":status")
		resp.Status, _ = strconv.Atoi(status)
		resp.Headers = resp.Headers[:0]
		for _, kv := range s.resp.kv {
			if !strings.HasPrefix(kv[0], ":") {
				resp.Headers = append(resp.Headers, kv)
			}
		}
	}
	s.logging = true
	_, err1 := vm.call(vm.fn.log, uint64(s.id))
	s.logging = false
	_, err2 := vm.call(vm.fn.done, uint64(s.id))
	_, err3 := vm.call(vm.fn.delete, uint64(s.id))
	if err1 != nil || err2 != nil || err3 != nil {
		return errFailed
	}
	return nil
}

// response shapes a local reply as Envoy's sendLocalReply does: the plugin's headers, then a
// non-empty body gets content-length and (if unset) content-type text/plain; an empty one
// gets neither.
func (l *localReply) response() *Response {
	r := &Response{Status: l.status, Body: l.body, LocalReply: true}
	m := &HeaderMap{}
	for _, h := range l.headers {
		m.Add(h[0], h[1])
	}
	if len(l.body) > 0 {
		m.Replace("content-length", strconv.Itoa(len(l.body)))
		if _, ok := m.Get("content-type"); !ok {
			m.Add("content-type", "text/plain")
		}
	} else {
		m.Remove("content-length")
		m.Remove("content-type")
	}
	r.Headers = m.kv
	return r
}

func callUpstream(req *Request, headers *HeaderMap, up Upstream) *Response {
	if up == nil {
		return &Response{Status: 200, Headers: []Header{{"content-type", "text/plain"}}, Body: []byte("ok\n")}
	}
	resp, err := up(req, headers)
	if err != nil {
		return &Response{Status: 503, Headers: []Header{{"content-type", "text/plain"}},
			Body: []byte("upstream connect error or disconnect/reset before headers. reset reason: connection failure")}
	}
	return resp
}

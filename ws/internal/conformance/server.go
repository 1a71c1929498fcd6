package conformance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FuzzServer is a fuzzing server: every WebSocket client that connects
// gets one case run against it. Which case is in the request path:
//
//	/case/6.4.1                   that case
//	/runCase?case=N&agent=NAME    the Nth case (from 1), as Autobahn's fuzzing server
//	/getCaseCount                 a text message with the number of cases, then a normal close
//	/updateReports                a normal close (Autobahn clients ask for it at the end)
//	anything else                 the next case not yet served, in order
//
// Use it as New → Listen → URL/Await → Close. Results go to Await, to
// Results, and to OnResult if set. All methods may be called concurrently.
type FuzzServer struct {
	cases []Case
	byID  map[string]int

	// OnResult, if set, is called with each result, on the connection's
	// goroutine, before Await sees it.
	OnResult func(Result)

	ln     net.Listener
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	conns   map[net.Conn]struct{}
	pending map[string][]Result // results not yet taken by Await
	all     []Result
	changed chan struct{} // closed and replaced whenever a result arrives
	next    int           // the next case for "anything else"
	closed  bool
}

// NewFuzzServer returns a fuzzing server for cases (Cases() if nil). It
// does not listen yet.
func NewFuzzServer(cases []Case) *FuzzServer {
	if cases == nil {
		cases = Cases()
	}
	s := &FuzzServer{
		cases:   cases,
		byID:    map[string]int{},
		conns:   map[net.Conn]struct{}{},
		pending: map[string][]Result{},
		changed: make(chan struct{}),
	}
	for i, c := range cases {
		s.byID[c.ID] = i
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Listen starts serving on addr ("127.0.0.1:0" picks a port).
func (s *FuzzServer) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.ln = ln
	s.mu.Unlock()
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return nil
}

// Addr returns the address the server listens on.
func (s *FuzzServer) Addr() net.Addr { return s.ln.Addr() }

// URL returns the URL at which a client runs the case with this ID.
func (s *FuzzServer) URL(id string) string {
	return "ws://" + s.ln.Addr().String() + "/case/" + id
}

// Await waits for the next result of case id not yet returned by Await.
func (s *FuzzServer) Await(ctx context.Context, id string) (Result, error) {
	for {
		s.mu.Lock()
		if rs := s.pending[id]; len(rs) > 0 {
			s.pending[id] = rs[1:]
			s.mu.Unlock()
			return rs[0], nil
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Result{}, fmt.Errorf("waiting for the result of case %s: %w", id, ctx.Err())
		}
	}
}

// Results returns every result so far, in the order the runs ended.
func (s *FuzzServer) Results() []Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Result(nil), s.all...)
}

// Close stops listening, ends the connections in progress and waits for
// every goroutine the server started. It is safe to call more than once.
func (s *FuzzServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	ln := s.ln
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.cancel()
	var err error
	if ln != nil {
		err = ln.Close()
	}
	s.wg.Wait()
	return err
}

func (s *FuzzServer) acceptLoop(ln net.Listener) {
	defer s.wg.Done()
	for {
		nc, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return
		}
		s.conns[nc] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, nc)
				s.mu.Unlock()
				nc.Close()
			}()
			s.serveConn(nc)
		}()
	}
}

func (s *FuzzServer) record(r Result) {
	if s.OnResult != nil {
		s.OnResult(r)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pending[r.Case] = append(s.pending[r.Case], r)
	s.all = append(s.all, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *FuzzServer) serveConn(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	nc.SetDeadline(time.Now().Add(handshakeTimeout))
	br := bufio.NewReaderSize(nc, 64<<10)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	key, herr := checkUpgrade(req)
	if herr != "" {
		httpError(nc, http.StatusBadRequest, "websocket handshake refused: "+herr)
		return
	}
	q := req.URL.Query()
	var c *Case
	switch p := req.URL.Path; {
	case p == "/getCaseCount":
		s.control(nc, br, key, strconv.Itoa(len(s.cases)))
		return
	case p == "/updateReports":
		s.control(nc, br, key, "")
		return
	case strings.HasPrefix(p, "/case/"):
		i, ok := s.byID[strings.TrimPrefix(p, "/case/")]
		if !ok {
			httpError(nc, http.StatusNotFound, "no case "+strings.TrimPrefix(p, "/case/"))
			return
		}
		c = &s.cases[i]
	case p == "/runCase":
		n, err := strconv.Atoi(q.Get("case"))
		if err != nil || n < 1 || n > len(s.cases) {
			httpError(nc, http.StatusNotFound, fmt.Sprintf("case=%q is not a number from 1 to %d", q.Get("case"), len(s.cases)))
			return
		}
		c = &s.cases[n-1]
	default:
		s.mu.Lock()
		i := s.next
		s.next++
		s.mu.Unlock()
		if i >= len(s.cases) {
			httpError(nc, http.StatusNotFound, "every case has been served")
			return
		}
		c = &s.cases[i]
	}
	var dx *deflateParams
	declined := ""
	if c.Negotiation.Deflate != nil {
		dx, declined = acceptDeflate(req.Header.Values("Sec-WebSocket-Extensions"), c.Negotiation.Deflate)
	}
	ext := ""
	if dx != nil {
		ext = dx.header
	}
	if err := writeSwitch(nc, key, ext); err != nil {
		return
	}
	nc.SetDeadline(time.Time{})
	r := runSession(s.ctx, nc, br, RoleClient, c, dx, declined)
	if agent := q.Get("agent"); agent != "" {
		r.Log = append([]string{"agent: " + agent}, r.Log...)
	}
	s.record(r)
}

// checkUpgrade checks an opening handshake request and returns its key,
// or why it is refused.
func checkUpgrade(r *http.Request) (key, refused string) {
	switch {
	case r.Method != http.MethodGet:
		return "", "method " + r.Method + "; the opening handshake is a GET"
	case !hasToken(r.Header, "Upgrade", "websocket"):
		return "", "missing Upgrade: websocket"
	case !hasToken(r.Header, "Connection", "upgrade"):
		return "", "missing Connection: Upgrade"
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return "", "Sec-WebSocket-Version must be 13"
	case r.Header.Get("Sec-WebSocket-Key") == "":
		return "", "missing Sec-WebSocket-Key"
	}
	return r.Header.Get("Sec-WebSocket-Key"), ""
}

// writeSwitch accepts the opening handshake, with the extensions ext if
// not empty.
func writeSwitch(nc net.Conn, key, ext string) error {
	h := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + acceptKey(key) + "\r\n"
	if ext != "" {
		h += "Sec-WebSocket-Extensions: " + ext + "\r\n"
	}
	_, err := io.WriteString(nc, h+"\r\n")
	return err
}

func httpError(nc net.Conn, status int, msg string) {
	fmt.Fprintf(nc, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(msg), msg)
}

// control answers Autobahn's bookkeeping requests: an optional text
// message, then a normal closing handshake.
func (s *FuzzServer) control(nc net.Conn, br *bufio.Reader, key, text string) {
	if writeSwitch(nc, key, "") != nil {
		return
	}
	var out []byte
	if text != "" {
		out = append(out, textFrame(text).encode(false)...)
	}
	out = append(out, fin(opClose, closePayload(1000, nil)).encode(false)...)
	nc.SetDeadline(time.Now().Add(handshakeTimeout))
	if _, err := nc.Write(out); err != nil {
		return
	}
	for {
		f, err := readFrame(br)
		if err != nil || f.op == opClose {
			return
		}
	}
}

package bench

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MaxMessage is the largest message the echo servers and clients handle.
const MaxMessage = 1 << 20

// BufSize is the size of the buffers that buffer-reuse paths hold per
// connection: one byte more than MaxMessage, so that reading a whole
// message never needs to probe past a full buffer for its end.
const BufSize = MaxMessage + 1

// Lib is one library used one way, on both sides of the echo.
type Lib struct {
	// Name identifies the library and the way it is used, as in benchmark
	// names: "ours", "ours-readinto", "gorilla", ...
	Name string
	// Library is the module the code comes from.
	Library string
	// API says which calls the client and the server make.
	API string
	// Idle marks the variant whose server is measured for idle memory:
	// a library's usual API.
	Idle bool

	// accept upgrades r and returns the connection's echo loop and a way
	// to close it. raw, which has no HTTP, leaves it nil and sets
	// serveRaw.
	accept   func(w http.ResponseWriter, r *http.Request) (echo func() error, closer func() error, err error)
	serveRaw func(nc net.Conn) error
	// dial opens a client connection to the echo server at addr
	// (host:port).
	dial func(ctx context.Context, addr string) (Client, error)
}

// Client is the client side of one connection to an echo server.
// Its methods are called from one goroutine.
type Client interface {
	// Echo sends msg as one binary message and returns the message that
	// comes back. Depending on the API measured, the result is freshly
	// allocated or aliases buf (which holds BufSize bytes) or a buffer of
	// the client's; it is valid until the next call.
	Echo(msg, buf []byte) ([]byte, error)
	// Close closes the connection (with a closing handshake where the
	// library offers one) and releases everything the client started.
	Close() error
}

// Libs lists the libraries in the order they are reported: ours first,
// raw TCP last.
var Libs = []*Lib{
	oursLib, oursReadIntoLib,
	gorillaLib, gorillaReaderLib,
	coderLib, coderReaderLib,
	gobwasLib, gobwasLowLevelLib,
	gwsLib,
	rawLib,
}

// LibByName returns the library called name.
func LibByName(name string) (*Lib, error) {
	for _, l := range Libs {
		if l.Name == name {
			return l, nil
		}
	}
	names := make([]string, len(Libs))
	for i, l := range Libs {
		names[i] = l.Name
	}
	return nil, fmt.Errorf("unknown library %q; known: %s", name, strings.Join(names, ", "))
}

// Dial connects a client of lib to the echo server at addr (host:port).
func (l *Lib) Dial(ctx context.Context, addr string) (Client, error) {
	c, err := l.dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("%s: dial %s: %w", l.Name, addr, err)
	}
	return c, nil
}

// ServerOptions configures StartServer.
type ServerOptions struct {
	// Spawn runs each connection's echo loop in a goroutine of its own and
	// lets the HTTP handler return, as gobwas/ws and lxzan/gws document;
	// by default the loop runs inside the handler, as ws, gorilla/websocket
	// and coder/websocket document. It changes what an idle connection
	// keeps alive: net/http's per-connection state lives as long as the
	// handler does.
	Spawn bool
}

// Server is an echo server of one library on a loopback listener.
type Server struct {
	lib   *Lib
	ln    net.Listener
	hs    *http.Server
	spawn bool

	active  atomic.Int64 // connections in their echo loop
	total   atomic.Int64 // connections that reached their echo loop
	mu      sync.Mutex
	closers map[*func() error]struct{}
	closing bool
	wg      sync.WaitGroup // echo loops and the accept loop
}

// StartServer starts an echo server for lib on addr ("127.0.0.1:0" for
// any free port).
func StartServer(lib *Lib, addr string, opts *ServerOptions) (*Server, error) {
	var o ServerOptions
	if opts != nil {
		o = *opts
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{lib: lib, ln: ln, spawn: o.Spawn, closers: map[*func() error]struct{}{}}
	s.wg.Add(1)
	if lib.serveRaw != nil {
		go func() {
			defer s.wg.Done()
			s.acceptRaw()
		}()
		return s, nil
	}
	s.hs = &http.Server{
		Handler:           http.HandlerFunc(s.handle),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		defer s.wg.Done()
		s.hs.Serve(ln)
	}()
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Active returns how many connections are in their echo loop.
func (s *Server) Active() int { return int(s.active.Load()) }

// Total returns how many connections have reached their echo loop since
// the server started.
func (s *Server) Total() int { return int(s.total.Load()) }

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	// Count the handler, so that Close waits for handshakes in progress.
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		http.Error(w, "server closing", http.StatusServiceUnavailable)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	echo, closer, err := s.lib.accept(w, r)
	if err != nil {
		return
	}
	s.run(echo, closer)
}

func (s *Server) acceptRaw() {
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.run(func() error { return s.lib.serveRaw(nc) }, nc.Close)
		}()
	}
}

// run runs one connection's echo loop, inline or in a goroutine of its own,
// and closes the connection when the loop ends or the server closes.
func (s *Server) run(echo func() error, closer func() error) {
	key := &closer
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		closer()
		return
	}
	s.closers[key] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	loop := func() {
		defer s.wg.Done()
		s.active.Add(1)
		s.total.Add(1)
		echo()
		s.active.Add(-1)
		s.mu.Lock()
		delete(s.closers, key)
		s.mu.Unlock()
		closer()
	}
	if s.spawn {
		go loop()
		return
	}
	loop()
}

// Close stops the server, closes every connection and waits for every
// goroutine the server started.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return net.ErrClosed
	}
	s.closing = true
	closers := make([]func() error, 0, len(s.closers))
	for k := range s.closers {
		closers = append(closers, *k)
	}
	s.mu.Unlock()
	var err error
	if s.hs != nil {
		// http.Server.Close does not see hijacked connections; they are
		// closed below.
		err = s.hs.Close()
	} else {
		err = s.ln.Close()
	}
	for _, c := range closers {
		c()
	}
	s.wg.Wait()
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

// Names returns the names of libs.
func Names(libs []*Lib) []string {
	out := make([]string, len(libs))
	for i, l := range libs {
		out[i] = l.Name
	}
	return out
}

// SelectLibs returns the libraries named in a comma-separated list, or all
// of them for "" or "all".
func SelectLibs(list string) ([]*Lib, error) {
	if list == "" || list == "all" {
		return slices.Clone(Libs), nil
	}
	var out []*Lib
	for name := range strings.SplitSeq(list, ",") {
		l, err := LibByName(strings.TrimSpace(name))
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

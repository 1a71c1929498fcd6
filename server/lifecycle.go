package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/vizserve/vizserve/ws"
)

// Lifecycle: Open listens, Serve serves, Run ties both to a context, and
// Close or Shutdown ends everything the server started, within a grace
// period.

// Open starts listening, synchronously: when it returns, Addr and URL are
// valid and connections queue until Serve.
func (s *Server) Open() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.closing {
		return errors.New("server: Open called twice or after Close")
	}
	if !s.cfg.InsecurePublic && s.cfg.Tokens == nil && !IsLoopback(s.cfg.Addr) {
		return fmt.Errorf("server: %s is not a loopback address: set Config.Tokens so that only holders of a token get in (or InsecurePublic to expose the server without one)", s.cfg.Addr)
	}
	tlsCfg, err := s.tlsConfig()
	if err != nil {
		return err
	}
	lc := net.ListenConfig{}
	if s.cfg.ReusePort {
		lc.Control = reusePort
	}
	ln, err := lc.Listen(context.Background(), "tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	ln = &gateListener{Listener: ln, g: s.gate}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
		s.tls = true
	}
	s.ln = ln
	s.hs = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ConnContext:       s.connContext,
		ConnState:         s.gate.connState,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return s.baseCtx },
	}
	s.log.Info("server listening", "url", s.urlLocked())
	return nil
}

// Serve serves connections until Close or Shutdown, and returns after they
// have finished. It calls Open first if needed.
func (s *Server) Serve() error {
	s.mu.Lock()
	opened := s.ln != nil
	s.mu.Unlock()
	if !opened {
		if err := s.Open(); err != nil {
			return err
		}
	}
	err := s.hs.Serve(s.ln)
	if errors.Is(err, http.ErrServerClosed) {
		<-s.closed
		return nil
	}
	return err
}

// Run serves until ctx ends, then closes the server as Close does, and
// returns once Serve has returned: the life of a server in a program
// that stops on a signal. If Serve fails first, Run closes the server and
// returns Serve's error.
func (s *Server) Run(ctx context.Context) error {
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	select {
	case err := <-served:
		s.Close()
		return err
	case <-ctx.Done():
	}
	return errors.Join(s.Close(), <-served)
}

// Close shuts the server down within Config.CloseGrace: see Shutdown.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.CloseGrace)
	defer cancel()
	return s.Shutdown(ctx)
}

// Shutdown stops the listener, sends a close frame with StatusGoingAway
// (1001) to every open websocket and waits, until ctx ends, for their
// closing handshakes, for page requests in flight and for websocket
// handlers to return. What is still open when ctx ends is closed at once,
// and handlers' contexts are cancelled. It reports an error only if
// handlers keep running after that. Shutdown may be called from any
// goroutine, and more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		s.closeErr = s.shutdown(ctx)
		close(s.closed)
	})
	<-s.closed
	return s.closeErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	if s.handlers == 0 {
		close(s.handlersDone)
	}
	hs := s.hs
	conns := make([]*ws.Conn, 0, len(s.websocks))
	for c := range s.websocks {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.log.Info("server shutting down", "url", s.URL(), "websockets", len(conns))

	httpDone := make(chan error, 1)
	if hs != nil {
		go func() { httpDone <- hs.Shutdown(ctx) }()
	} else {
		httpDone <- nil
	}
	// http.Server.Shutdown waits up to 5 s for a connection that has not
	// sent its first request (browsers open them ahead of need); there is
	// nothing to wait for.
	s.gate.closeFresh()

	var closers sync.WaitGroup
	defer closers.Wait() // they end with their connections
	for _, c := range conns {
		closers.Go(func() { c.Close(ws.StatusGoingAway, "server shutting down") })
	}
	// Handlers return as their connections finish the closing handshake.
	var err error
	if !waitCtx(ctx, s.handlersDone) {
		// Grace is over: drop what is left, and give handlers that ignore
		// their closed connection one more second.
		s.mu.Lock()
		for c := range s.websocks {
			c.CloseNow()
		}
		s.mu.Unlock()
		s.cancel()
		extra, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if !waitCtx(extra, s.handlersDone) {
			s.mu.Lock()
			n := len(s.websocks)
			s.mu.Unlock()
			err = fmt.Errorf("server: %d websocket handlers still running after their connections were closed", n)
		}
	}
	s.cancel()
	if herr := <-httpDone; herr != nil {
		if hs != nil {
			hs.Close()
		}
		err = errors.Join(err, fmt.Errorf("server: %w", herr))
	}
	s.log.Info("server closed", "url", s.URL())
	return err
}

// waitCtx waits for done to be closed or ctx to end and reports whether
// done was closed.
func waitCtx(ctx context.Context, done <-chan struct{}) bool {
	select {
	case <-done:
		return true // even if ctx has ended too
	default:
	}
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

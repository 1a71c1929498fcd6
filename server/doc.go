// Package server serves pages and websockets on one listener, with the
// gatekeeping a server on a network needs turned on by default.
//
//	s := server.New(server.Config{Addr: "127.0.0.1:8000"})
//	s.Handle("/", page)
//	s.HandleWS("/ws", server.Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
//		for {
//			typ, msg, err := c.Read(ctx)
//			if err != nil { return }
//			c.Write(ctx, typ, msg)
//		}
//	}})
//	if err := s.Open(); err != nil { ... }
//	fmt.Println("open", s.URL())
//	err := s.Run(ctx) // serves until ctx ends, then closes
//
// # Gatekeeping
//
// Websockets are accepted from same-origin pages only unless
// Config.OriginPatterns says otherwise. Each IP may open DefaultRateLimit
// new connections per second (burst: the same number), at most
// DefaultMaxConnsPerIP at once, and the server at most DefaultMaxConns;
// over a limit a request gets 429 or 503 with Retry-After. Request headers
// must arrive within DefaultReadHeaderTimeout and fit DefaultMaxHeaderBytes.
// A server on a non-loopback address refuses to open without Tokens, which
// mints and checks time-limited, path-bound, HMAC-signed access tokens.
//
// # Lifecycle
//
// New → Open (listens synchronously; port 0 works) → Serve (blocks) →
// Close or Shutdown from any goroutine: every websocket gets a close frame
// with 1001, the server waits a bounded time for closing handshakes and
// handlers, and returns once everything it started has finished. Run
// does Serve and Close for a program that stops when a context ends. A handler
// that panics is recovered, logged, closed with 1011 and reported through
// Errors and Config.OnError; the server goes on serving everyone else.
package server

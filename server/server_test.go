package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/internal/testkit/testcert"
	"github.com/vizserve/vizserve/ws"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

var quiet = slog.New(slog.DiscardHandler)

// start opens and serves s, and closes it when the test ends.
func start(t testing.TB, s *Server) {
	t.Helper()
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
}

func wsURL(s *Server, path string) string {
	return "ws" + strings.TrimPrefix(s.URL(), "http") + path
}

func echo(ctx context.Context, c *ws.Conn, r *http.Request) {
	for {
		typ, msg, err := c.Read(ctx)
		if err != nil {
			return
		}
		if c.Write(ctx, typ, msg) != nil {
			return
		}
	}
}

func dial(t testing.TB, url string, opts *ws.DialOptions) *ws.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := ws.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

func roundTrip(t testing.TB, c *ws.Conn, msg string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Write(ctx, ws.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
	_, got, err := c.Read(ctx)
	if err != nil || string(got) != msg {
		t.Fatalf("round trip: %q %v", got, err)
	}
}

// eventually waits, up to a deadline, for cond to hold.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling a condition, with a deadline
	}
}

func get(t testing.TB, client *http.Client, url string) (*http.Response, string) {
	t.Helper()
	if client == nil {
		client = &http.Client{Transport: &http.Transport{}}
		defer client.CloseIdleConnections()
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func TestPagesAndWebsocketsOnOnePort(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the page") })
	s.HandleWS("/", Endpoint{Handler: echo})
	s.HandleWS("/only-ws", Endpoint{Handler: echo})
	start(t, s)
	if s.Addr().(*net.TCPAddr).Port == 0 || !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("Addr %v URL %q", s.Addr(), s.URL())
	}
	if resp, body := get(t, nil, s.URL()+"/"); resp.StatusCode != 200 || body != "the page" {
		t.Fatalf("page: %d %q", resp.StatusCode, body)
	}
	if resp, _ := get(t, nil, s.URL()+"/only-ws"); resp.StatusCode != http.StatusUpgradeRequired {
		t.Fatalf("plain GET of a websocket path: %d", resp.StatusCode)
	}
	c := dial(t, wsURL(s, "/"), nil)
	roundTrip(t, c, "hello")
	eventually(t, "one websocket counted", func() bool { return s.Stats().WebSockets == 1 })
	if !strings.Contains(s.String(), "1 websockets") {
		t.Fatalf("String() = %q", s.String())
	}
}

func TestRouteBySubprotocol(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	which := func(name string) WSHandler {
		return func(ctx context.Context, c *ws.Conn, r *http.Request) {
			c.Write(ctx, ws.MessageText, []byte(name+" "+c.Subprotocol()))
			c.Read(ctx)
		}
	}
	s.HandleWS("/", Endpoint{Subprotocols: []string{"count"}, Handler: which("counter")})
	s.HandleWS("/", Endpoint{Subprotocols: []string{"chat.v2", "chat.v1"}, Handler: which("chat")})
	start(t, s)
	for _, tc := range []struct {
		offer []string
		want  string
	}{
		{[]string{"count"}, "counter count"},
		{[]string{"chat.v1"}, "chat chat.v1"},
		{[]string{"chat.v1", "chat.v2"}, "chat chat.v2"},
		{[]string{"other", "count"}, "counter count"},
	} {
		c := dial(t, wsURL(s, "/"), &ws.DialOptions{Subprotocols: tc.offer})
		_, msg, err := c.Read(context.Background())
		if err != nil || string(msg) != tc.want {
			t.Fatalf("offer %v: %q %v", tc.offer, msg, err)
		}
		c.Close(ws.StatusNormalClosure, "")
	}
	_, resp, err := ws.Dial(context.Background(), wsURL(s, "/"), &ws.DialOptions{Subprotocols: []string{"other"}})
	if err == nil || resp == nil || resp.StatusCode != 400 {
		t.Fatalf("unknown subprotocol: %v %v", resp, err)
	}
}

// Run serves until its context ends, then closes the server: websockets
// see 1001 and Run returns nil once Serve has.
func TestRunStopsWithItsContext(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	s.HandleWS("/", Endpoint{Handler: echo})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx) }()
	c := dial(t, wsURL(s, "/"), nil)
	roundTrip(t, c, "hi")
	cancel()
	if _, _, err := c.Read(context.Background()); ws.CloseStatus(err) != ws.StatusGoingAway {
		t.Fatalf("client saw %v, want 1001", err)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Fatal("the listener is still open after Run returned")
	}
}

func TestCloseSends1001AndWaits(t *testing.T) {
	t.Parallel()
	handlerEnded := make(chan struct{}, 10)
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	s.HandleWS("/", Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
		defer func() { handlerEnded <- struct{}{} }()
		echo(ctx, c, r)
	}})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	var conns []*ws.Conn
	for i := 0; i < 5; i++ {
		c := dial(t, wsURL(s, "/"), nil)
		roundTrip(t, c, "hi")
		conns = append(conns, c)
	}
	results := make(chan error, len(conns))
	for _, c := range conns {
		go func() {
			_, _, err := c.Read(context.Background())
			results <- err
		}()
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	for range conns {
		if err := <-results; ws.CloseStatus(err) != ws.StatusGoingAway {
			t.Fatalf("client saw %v, want 1001", err)
		}
	}
	if len(handlerEnded) != 5 {
		t.Fatalf("%d of 5 handlers returned before Close did", len(handlerEnded))
	}
	if _, err := net.Dial("tcp", s.Addr().String()); err == nil {
		t.Fatal("still listening")
	}
	// Close again is harmless.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestTwoServersShareNothing(t *testing.T) {
	t.Parallel()
	a := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	b := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	for _, s := range []*Server{a, b} {
		s.HandleWS("/", Endpoint{Handler: echo})
	}
	if err := a.Open(); err != nil {
		t.Fatal(err)
	}
	go a.Serve()
	start(t, b)
	ca := dial(t, wsURL(a, "/"), nil)
	cb := dial(t, wsURL(b, "/"), nil)
	roundTrip(t, ca, "a")
	ca.CloseRead(context.Background())
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	roundTrip(t, cb, "b still serving")
	if a.Errors() == b.Errors() {
		t.Fatal("servers share an error channel")
	}
}

func TestPanicsAreContainedAndReported(t *testing.T) {
	t.Parallel()
	var seen []*HandlerError
	var mu sync.Mutex
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, OnError: func(e *HandlerError) {
		mu.Lock()
		seen = append(seen, e)
		mu.Unlock()
	}})
	s.HandleWS("/boom", Endpoint{Handler: func(ctx context.Context, c *ws.Conn, r *http.Request) {
		c.Read(ctx)
		panic("sqrt(-2)")
	}})
	s.HandleFunc("/page-boom", func(http.ResponseWriter, *http.Request) { panic("page failed") })
	s.HandleWS("/", Endpoint{Handler: echo})
	start(t, s)
	bystander := dial(t, wsURL(s, "/"), nil)

	// More panics than the channel holds: the server must not block.
	for i := 0; i < 40; i++ {
		c := dial(t, wsURL(s, "/boom"), nil)
		c.Write(context.Background(), ws.MessageText, []byte("go"))
		_, _, err := c.Read(context.Background())
		if ws.CloseStatus(err) != ws.StatusInternalError {
			t.Fatalf("client of a crashed handler saw %v, want 1011", err)
		}
	}
	resp, _ := get(t, nil, s.URL()+"/page-boom")
	if resp.StatusCode != 500 {
		t.Fatalf("page panic: %d", resp.StatusCode)
	}
	roundTrip(t, bystander, "unaffected")
	eventually(t, "41 panics counted", func() bool { return s.Stats().Panics == 41 })
	st := s.Stats()
	if len(s.Errors()) != 32 || st.Dropped != 41-32 {
		t.Fatalf("channel holds %d, dropped %d", len(s.Errors()), st.Dropped)
	}
	e := <-s.Errors()
	if e.Value != "sqrt(-2)" || !strings.Contains(e.Where, "/boom") || !strings.Contains(string(e.Stack), "server_test.go") {
		t.Fatalf("error %v where %q", e.Value, e.Where)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 41 {
		t.Fatalf("OnError saw %d", len(seen))
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	tokens := NewTokens([]byte("secret"))
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, Tokens: tokens})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "page") })
	s.HandleWS("/ws", Endpoint{Handler: echo})
	start(t, s)

	good := tokens.Mint("/", time.Hour)
	other := NewTokens([]byte("other key")).Mint("/", time.Hour)
	expired := tokens.Mint("/", -time.Second)
	onlyDocs := tokens.Mint("/docs", time.Hour)
	tampered := good[:len(good)-2] + "AA"
	if good[len(good)-2:] == "AA" {
		tampered = good[:len(good)-2] + "BB"
	}

	for _, tc := range []struct {
		name, tok, reason string
	}{
		{"missing", "", "no access token"},
		{"other key", other, "signature"},
		{"tampered", tampered, "signature"},
		{"expired", expired, "expired"},
		{"other path", onlyDocs, "another path"},
		{"garbage", "x.y.z", "malformed"},
	} {
		url := s.URL() + "/"
		if tc.tok != "" {
			url += "?token=" + tc.tok
		}
		resp, body := get(t, nil, url)
		if resp.StatusCode != 403 || !strings.Contains(body, tc.reason) {
			t.Errorf("%s: page %d %q", tc.name, resp.StatusCode, body)
		}
		wurl := wsURL(s, "/ws")
		if tc.tok != "" {
			wurl += "?token=" + tc.tok
		}
		_, wresp, err := ws.Dial(context.Background(), wurl, nil)
		if err == nil || wresp == nil || wresp.StatusCode != 403 {
			t.Errorf("%s: websocket %v %v", tc.name, wresp, err)
		}
	}

	// A page loaded with a good token sets a cookie that the page's
	// websocket then carries.
	resp, body := get(t, nil, s.URL()+"/?token="+good)
	if resp.StatusCode != 200 || body != "page" {
		t.Fatalf("good token: %d %q", resp.StatusCode, body)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == TokenCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode {
		t.Fatalf("cookie %+v", cookie)
	}
	c := dial(t, wsURL(s, "/ws"), &ws.DialOptions{HTTPHeader: http.Header{"Cookie": {cookie.String()}}})
	roundTrip(t, c, "in")
	c2 := dial(t, wsURL(s, "/ws?token="+good), nil)
	roundTrip(t, c2, "in too")
}

func TestTokenVerify(t *testing.T) {
	t.Parallel()
	tk := NewTokens(nil)
	now := time.Unix(1_800_000_000, 0)
	tk.now = func() time.Time { return now }
	tok := tk.Mint("/scene", time.Minute)
	for _, tc := range []struct {
		path string
		at   time.Duration
		want error
	}{
		{"/scene", 0, nil},
		{"/scene/ws", 59 * time.Second, nil},
		{"/scenery", 0, ErrTokenWrongPath},
		{"/", 0, ErrTokenWrongPath},
		{"/scene", time.Minute, ErrTokenExpired},
	} {
		tk.now = func() time.Time { return now.Add(tc.at) }
		if err := tk.Verify(tok, tc.path); !errors.Is(err, tc.want) {
			t.Errorf("%s at +%v: %v, want %v", tc.path, tc.at, err, tc.want)
		}
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, RateLimit: 1, RateBurst: 3})
	clock := time.Unix(1_800_000_000, 0)
	var mu sync.Mutex
	s.limiter.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	start(t, s)
	// Each get uses a new connection: the limit is on connections.
	for i := 0; i < 3; i++ {
		if resp, _ := get(t, nil, s.URL()); resp.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d", i, resp.StatusCode)
		}
	}
	resp, body := get(t, nil, s.URL())
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" || !strings.Contains(body, "faster than 1 per second") {
		t.Fatalf("over the limit: %d %q %q", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	mu.Lock()
	clock = clock.Add(time.Second)
	mu.Unlock()
	if resp, _ := get(t, nil, s.URL()); resp.StatusCode != 200 {
		t.Fatalf("after a second: %d", resp.StatusCode)
	}
	// Keep-alive requests on one connection are not new connections.
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	mu.Lock()
	clock = clock.Add(time.Second)
	mu.Unlock()
	for i := 0; i < 5; i++ {
		if resp, _ := get(t, client, s.URL()); resp.StatusCode != 200 {
			t.Fatalf("keep-alive request %d: %d", i, resp.StatusCode)
		}
	}
}

func TestConnectionCaps(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, MaxConnsPerIP: 2})
	s.HandleWS("/", Endpoint{Handler: echo})
	start(t, s)
	a := dial(t, wsURL(s, "/"), nil)
	dial(t, wsURL(s, "/"), nil)
	eventually(t, "two websockets", func() bool { return s.Stats().Conns == 2 })
	_, resp, err := ws.Dial(context.Background(), wsURL(s, "/"), nil)
	if err == nil || resp == nil || resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third connection: %v %v", resp, err)
	}
	a.Close(ws.StatusNormalClosure, "")
	eventually(t, "a slot freed", func() bool { return s.Stats().Conns == 1 })
	c := dial(t, wsURL(s, "/"), nil)
	roundTrip(t, c, "fits again")
	if !strings.Contains(s.String(), "max conns per IP 2") {
		t.Fatalf("String() = %q", s.String())
	}
}

func TestAcceptFilter(t *testing.T) {
	t.Parallel()
	var allow sync.Mutex
	open := true
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, AcceptFilter: func(net.Conn) bool {
		allow.Lock()
		defer allow.Unlock()
		return open
	}})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	start(t, s)
	if resp, _ := get(t, nil, s.URL()); resp.StatusCode != 200 {
		t.Fatal(resp.Status)
	}
	allow.Lock()
	open = false
	allow.Unlock()
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	if n, err := nc.Read(make([]byte, 10)); n != 0 || err == nil {
		t.Fatalf("refused connection got %d bytes, %v", n, err)
	}
	if s.Stats().Refused == 0 {
		t.Fatal("refusal not counted")
	}
}

func TestSlowAndBloatedRequests(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, ReadHeaderTimeout: 100 * time.Millisecond, MaxHeaderBytes: 4096})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	start(t, s)

	// Slowloris: headers that never finish.
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(nc, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
	start := time.Now()
	b, _ := io.ReadAll(nc)
	if time.Since(start) > 5*time.Second {
		t.Fatal("slow client held the connection")
	}
	if len(b) > 0 && !strings.Contains(string(b), "408") {
		t.Fatalf("slow client got %q", b)
	}

	// Bloated headers.
	req, _ := http.NewRequest("GET", s.URL(), nil)
	req.Header.Set("X-Big", strings.Repeat("a", 64<<10))
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Fatalf("big headers: %d", resp.StatusCode)
	}
}

func TestWebsocketsHaveNoIdleTimeout(t *testing.T) {
	t.Parallel()
	// The header timeout is generous, so that a loaded machine still
	// completes the handshake; the websocket then idles past both timeouts.
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, ReadHeaderTimeout: time.Second, IdleTimeout: 100 * time.Millisecond})
	s.HandleWS("/", Endpoint{Handler: echo})
	start(t, s)
	c := dial(t, wsURL(s, "/"), nil)
	idle := time.NewTimer(1500 * time.Millisecond)
	<-idle.C // idleness is what is tested
	roundTrip(t, c, "still here")
}

func TestPublicAddressNeedsTokens(t *testing.T) {
	t.Parallel()
	s := New(Config{Addr: "0.0.0.0:0", Logger: quiet})
	if err := s.Open(); err == nil || !strings.Contains(err.Error(), "Tokens") {
		t.Fatalf("Open: %v", err)
	}
	s.Close()
	s2 := New(Config{Addr: "0.0.0.0:0", Logger: quiet, Tokens: NewTokens(nil)})
	start(t, s2)
	if !strings.Contains(s2.String(), "tokens") {
		t.Fatal(s2.String())
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := testcert.Write(t)
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, TLSCertFile: certFile, TLSKeyFile: keyFile})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "secure page") })
	s.HandleWS("/ws", Endpoint{Handler: echo})
	start(t, s)
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatal(s.URL())
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	if resp, body := get(t, client, s.URL()+"/"); resp.StatusCode != 200 || body != "secure page" {
		t.Fatalf("https: %d %q", resp.StatusCode, body)
	}
	wss := "wss" + strings.TrimPrefix(s.URL(), "https") + "/ws"
	c := dial(t, wss, &ws.DialOptions{TLSConfig: &tls.Config{RootCAs: pool}})
	roundTrip(t, c, "over TLS")
	big := strings.Repeat("z", 1<<20)
	roundTrip(t, c, big)

	// Without trusting the certificate, the client refuses to connect.
	_, _, err := ws.Dial(context.Background(), wss, nil)
	var uae x509.UnknownAuthorityError
	if !errors.As(err, &uae) {
		t.Fatalf("untrusted certificate: %v", err)
	}
}

func TestConsoleHandler(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	at := time.Date(2026, 1, 2, 12, 4, 5, 123e6, time.UTC)
	h := NewConsoleHandler(&b, &ConsoleOptions{
		Level:     slog.LevelDebug,
		Now:       func() time.Time { return at },
		MaxRepeat: 2,
		Filter:    func(r slog.Record) bool { return !strings.HasPrefix(r.Message, "http:") },
	})
	log := slog.New(h)
	log = log.With("conn", "ws(server, open, 127.0.0.1:5432)")
	r := slog.NewRecord(at, LevelWS, "websocket opened", 0)
	r.AddAttrs(slog.String("path", "/chat"), slog.String("reason", "two words"))
	h.WithAttrs([]slog.Attr{slog.String("conn", "ws(server, open, 127.0.0.1:5432)")}).Handle(context.Background(), r)
	log.Info("http: noisy line")
	for i := 0; i < 4; i++ {
		log.Debug("ping")
	}
	want := "12:04:05.123 WS    websocket opened conn=\"ws(server, open, 127.0.0.1:5432)\" path=/chat reason=\"two words\"\n"
	lines := strings.Split(b.String(), "\n")
	if lines[0]+"\n" != want {
		t.Fatalf("got  %q\nwant %q", lines[0], want)
	}
	if strings.Contains(b.String(), "noisy") {
		t.Fatal("filter ignored")
	}
	if n := strings.Count(b.String(), " ping "); n != 2 {
		t.Fatalf("ping written %d times, want MaxRepeat=2:\n%s", n, b.String())
	}
}

func TestBadRequestsGetStatusAndLogLine(t *testing.T) {
	t.Parallel()
	var logs strings.Builder
	var mu sync.Mutex
	s := New(Config{Addr: "127.0.0.1:0", Logger: slog.New(NewConsoleHandler(lockedWriter{&logs, &mu}, nil))})
	s.HandleWS("/", Endpoint{Handler: echo})
	start(t, s)
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: short\r\n\r\n", s.Addr())
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("%v %v", resp, err)
	}
	eventually(t, "a log line", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return strings.Contains(logs.String(), "websocket refused")
	})
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestCompressionModes(t *testing.T) {
	t.Parallel()
	offer := &ws.DialOptions{Compression: &ws.CompressionOptions{}}
	for _, tc := range []struct {
		mode CompressionMode
		want bool
	}{{CompressRemote, false}, {CompressAll, true}, {CompressNone, false}} {
		s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, Compression: tc.mode})
		s.HandleWS("/", Endpoint{Handler: echo})
		start(t, s)
		c, resp, err := ws.Dial(context.Background(), wsURL(s, "/"), offer)
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("Sec-WebSocket-Extensions") != ""; got != tc.want {
			t.Errorf("mode %d on loopback: compressed %v, want %v", tc.mode, got, tc.want)
		}
		roundTrip(t, c, strings.Repeat("compressible ", 100))
		c.Close(ws.StatusNormalClosure, "")
	}
	// A client on another machine gets compression by default.
	s := New(Config{Logger: quiet})
	for addr, want := range map[string]bool{"203.0.113.7:5000": true, "[2001:db8::1]:5000": true, "127.0.0.1:5000": false, "[::1]:5000": false} {
		r := &http.Request{RemoteAddr: addr}
		if got := s.acceptOptions(Endpoint{}, r).Compression != nil; got != want {
			t.Errorf("%s: compression %v, want %v", addr, got, want)
		}
	}
}

func TestCloseDoesNotWaitForSilentConnections(t *testing.T) {
	t.Parallel()
	// With a grace shorter than net/http's 5 s allowance for new
	// connections, waiting for this one would make Close fail.
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet, CloseGrace: 2 * time.Second})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {})
	if err := s.Open(); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve() }()
	// A connection that never sends a request, as browsers open ahead of
	// need.
	nc, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	eventually(t, "the silent connection counted", func() bool { return s.Stats().Conns == 1 })
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}

package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// idleProbe is the message each idle connection echoes once, so that every
// server connection has read and written a message and is back in its
// read when memory is measured.
var idleProbe = []byte("vizserve-idle-16")

// IdleClientMain is the body of cmd/idleclient. It opens -n connections to
// the echo server at -addr, each with a WebSocket handshake written by hand
// (or none with -raw), echoes one 16-byte message on each, prints
// "ready N", and holds them open until stdin ends. With -announce L each
// connection then sends the header of an L-byte message and one byte of
// it, and nothing more: the server sits in the middle of a message whose
// length a peer announced but did not send. Connections come from
// -sources loopback addresses (127.0.0.1, 127.0.0.2, ...) so that
// ephemeral ports do not run short.
func IdleClientMain(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("idleclient", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "", "echo server address host:port (loopback)")
	raw := fs.Bool("raw", false, "length-prefixed raw TCP instead of WebSocket")
	n := fs.Int("n", 10000, "connections")
	sources := fs.Int("sources", 4, "loopback source addresses to spread connections over")
	conc := fs.Int("conc", 32, "connections being opened at once")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on opening all connections")
	announce := fs.Int64("announce", 0, "after the echo, announce a message of this many bytes and send one")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *announce < 0 || (*announce > 0 && *raw) {
		return errors.New("-announce takes a positive length, and only over WebSocket")
	}
	if *addr == "" {
		return errors.New("-addr is required")
	}
	if *sources < 1 || *sources > 250 {
		return errors.New("-sources must be between 1 and 250")
	}
	limit, err := RaiseFileLimit()
	if err != nil {
		return fmt.Errorf("raise the open file limit: %w", err)
	}
	if uint64(*n)+32 > limit {
		return fmt.Errorf("%d connections need more than the open file limit of %d", *n, limit)
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	conns, err := openIdle(ctx, *addr, *raw, *n, *sources, *conc, *announce)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	if err != nil {
		fmt.Fprintf(stdout, "error %v\n", err)
		return err
	}
	fmt.Fprintf(stdout, "ready %d\n", len(conns))
	_, err = io.Copy(io.Discard, stdin)
	return err
}

// openIdle opens n connections, conc at a time.
func openIdle(ctx context.Context, addr string, raw bool, n, sources, conc int, announce int64) ([]net.Conn, error) {
	conns := make([]net.Conn, n)
	idx := make(chan int)
	errc := make(chan error, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for i := range idx {
				c, err := openOne(ctx, addr, raw, net.IPv4(127, 0, 0, byte(1+i%sources)), announce)
				if err != nil {
					errc <- fmt.Errorf("connection %d: %w", i, err)
					return
				}
				conns[i] = c
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case idx <- i:
		case err = <-errc:
			break feed
		}
	}
	close(idx)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errc:
		default:
		}
	}
	return conns, err
}

// openOne connects from the source address src, completes the handshake
// and echoes idleProbe once; with announce > 0 it then starts a message of
// that length and sends one byte of it.
func openOne(ctx context.Context, addr string, raw bool, src net.IP, announce int64) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: src}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if t, ok := ctx.Deadline(); ok {
		c.SetDeadline(t)
	}
	if err := idleHandshake(c, addr, raw); err != nil {
		c.Close()
		return nil, err
	}
	if announce > 0 {
		if _, err := c.Write(announceFrame(announce)); err != nil {
			c.Close()
			return nil, err
		}
	}
	c.SetDeadline(time.Time{})
	return c, nil
}

func idleHandshake(c net.Conn, addr string, raw bool) error {
	br := bufio.NewReaderSize(c, 512)
	if raw {
		msg := binary.BigEndian.AppendUint32(nil, uint32(len(idleProbe)))
		if _, err := c.Write(append(msg, idleProbe...)); err != nil {
			return err
		}
		got := make([]byte, 4+len(idleProbe))
		if _, err := io.ReadFull(br, got); err != nil {
			return fmt.Errorf("read echo: %w", err)
		}
		if !bytes.Equal(got[4:], idleProbe) || binary.BigEndian.Uint32(got) != uint32(len(idleProbe)) {
			return fmt.Errorf("bad echo %q", got)
		}
		return nil
	}
	var k [16]byte
	rand.Read(k[:])
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		return err
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fmt.Errorf("read handshake response: %w", err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fmt.Errorf("handshake answered %s", resp.Status)
	}
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(h[:]) {
		return fmt.Errorf("wrong Sec-WebSocket-Accept %q", got)
	}
	// One masked binary frame, then its unmasked echo.
	frame := []byte{0x82, 0x80 | byte(len(idleProbe)), 0, 0, 0, 0}
	rand.Read(frame[2:6])
	for i, b := range idleProbe {
		frame = append(frame, b^frame[2+i%4])
	}
	if _, err := c.Write(frame); err != nil {
		return err
	}
	got := make([]byte, 2+len(idleProbe))
	if _, err := io.ReadFull(br, got); err != nil {
		return fmt.Errorf("read echo: %w", err)
	}
	if got[0] != 0x82 || got[1] != byte(len(idleProbe)) || !bytes.Equal(got[2:], idleProbe) {
		return fmt.Errorf("bad echo frame %x", got)
	}
	return nil
}

// announceFrame is the masked header of a final binary frame of length
// bytes followed by the first byte of its payload.
func announceFrame(length int64) []byte {
	b := []byte{0x82, 0x80 | 127}
	b = binary.BigEndian.AppendUint64(b, uint64(length))
	var key [4]byte
	rand.Read(key[:])
	b = append(b, key[:]...)
	return append(b, 'x'^key[0])
}

// IdleConfig configures RunIdle.
type IdleConfig struct {
	Server, Client string // paths of cmd/idleserver and cmd/idleclient
	Libs           []*Lib
	Modes          []bool // ServerOptions.Spawn values to run
	N              int    // connections
	Sources        int    // loopback source addresses for the client
	// Announce, if positive, makes each connection announce a message of
	// this many bytes and send one byte of it before memory is measured.
	Announce int64
	Timeout  time.Duration
	// Progress, if set, receives a line per run.
	Progress io.Writer
	// HeapProfiles, if set, is a directory where the server writes a heap
	// profile of its idle connections, idle-LIB-MODE.pprof.
	HeapProfiles string
}

// IdleResult is the memory an idle server held for N connections.
type IdleResult struct {
	Lib   string `json:"lib"`
	Spawn bool   `json:"spawn"`
	N     int    `json:"n"`
	// Announce is IdleConfig.Announce: 0 for connections at rest.
	Announce int64    `json:"announce,omitempty"`
	Before   MemStats `json:"before"`
	After    MemStats `json:"after"`
}

// HeapStackPerConn is the growth of heap in use plus stack in use, per
// connection, in bytes.
func (r IdleResult) HeapStackPerConn() float64 {
	return (float64(r.After.HeapInuse+r.After.StackInuse) - float64(r.Before.HeapInuse+r.Before.StackInuse)) / float64(r.N)
}

// HeapPerConn is the growth of heap in use per connection, in bytes.
func (r IdleResult) HeapPerConn() float64 {
	return (float64(r.After.HeapInuse) - float64(r.Before.HeapInuse)) / float64(r.N)
}

// StackPerConn is the growth of stack in use per connection, in bytes.
func (r IdleResult) StackPerConn() float64 {
	return (float64(r.After.StackInuse) - float64(r.Before.StackInuse)) / float64(r.N)
}

// RSSPerConn is the growth of the resident set, per connection, in bytes.
func (r IdleResult) RSSPerConn() float64 {
	return (float64(r.After.RSS) - float64(r.Before.RSS)) / float64(r.N)
}

// GoroutinesPerConn is the growth in goroutines, per connection.
func (r IdleResult) GoroutinesPerConn() float64 {
	return float64(r.After.Goroutines-r.Before.Goroutines) / float64(r.N)
}

// RunIdle measures, for each library and mode, the memory the server
// process holds for cfg.N idle connections opened by a client process.
func RunIdle(cfg IdleConfig) ([]IdleResult, error) {
	var out []IdleResult
	for _, lib := range cfg.Libs {
		for _, spawn := range cfg.Modes {
			if lib.serveRaw != nil && (spawn || cfg.Announce > 0) {
				continue // raw always has one goroutine per connection, and no frames
			}
			r, err := runIdleOne(cfg, lib, spawn)
			if err != nil {
				return out, fmt.Errorf("%s (spawn=%v): %w", lib.Name, spawn, err)
			}
			if cfg.Progress != nil {
				fmt.Fprintf(cfg.Progress, "idle %-16s spawn=%-5v n=%d announce=%d heap+stack/conn=%.0f B rss/conn=%.0f B goroutines/conn=%.2f\n",
					lib.Name, spawn, r.N, r.Announce, r.HeapStackPerConn(), r.RSSPerConn(), r.GoroutinesPerConn())
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func runIdleOne(cfg IdleConfig, lib *Lib, spawn bool) (IdleResult, error) {
	res := IdleResult{Lib: lib.Name, Spawn: spawn, N: cfg.N, Announce: cfg.Announce}
	r := idleRun{server: cfg.Server, serverArgs: []string{"-lib", lib.Name}, client: cfg.Client,
		clientArgs: []string{"-n", strconv.Itoa(cfg.N), "-sources", strconv.Itoa(cfg.Sources), "-timeout", cfg.Timeout.String()},
		n:          cfg.N, timeout: cfg.Timeout}
	mode := "handler"
	if spawn {
		r.serverArgs = append(r.serverArgs, "-spawn")
		mode = "spawn"
	}
	if lib.serveRaw != nil {
		r.clientArgs = append(r.clientArgs, "-raw")
	}
	if cfg.Announce > 0 {
		r.clientArgs = append(r.clientArgs, "-announce", strconv.FormatInt(cfg.Announce, 10))
	}
	if cfg.HeapProfiles != "" {
		r.heapProfile = filepath.Join(cfg.HeapProfiles, "idle-"+lib.Name+"-"+mode+".pprof")
	}
	err := r.measure(&res)
	return res, err
}

// idleRun is one measurement of idle connections: a server process that
// prints "addr HOST:PORT" and answers ServerMain's commands, and a client
// process, given -addr, that opens n connections and prints "ready N".
type idleRun struct {
	server, client         string // paths of the commands
	serverArgs, clientArgs []string
	n                      int
	timeout                time.Duration // bound on opening the connections
	// hello, if set, reads the client's lines before "ready".
	hello func(cl *Proc) error
	// heapProfile, if set, is where the server writes a heap profile with
	// the connections open.
	heapProfile string
}

// measure records the server's memory in res before the client connects
// and once its n connections are idle.
func (r idleRun) measure(res *IdleResult) (err error) {
	srvName, clName := filepath.Base(r.server), filepath.Base(r.client)
	srv, err := StartProc(r.server, r.serverArgs...)
	if err != nil {
		return err
	}
	defer func() {
		if e := srv.Close(10 * time.Second); err == nil {
			err = e
		}
	}()
	line, err := srv.Line(30 * time.Second)
	if err != nil {
		return err
	}
	addr, ok := strings.CutPrefix(line, "addr ")
	if !ok {
		return fmt.Errorf("%s said %q, not its address", srvName, line)
	}
	if err := srv.AskJSON("mem", 30*time.Second, &res.Before); err != nil {
		return err
	}

	cl, err := StartProc(r.client, append([]string{"-addr", addr}, r.clientArgs...)...)
	if err != nil {
		return err
	}
	defer func() {
		if e := cl.Close(30 * time.Second); err == nil {
			err = e
		}
	}()
	if r.hello != nil {
		if err := r.hello(cl); err != nil {
			return err
		}
	}
	line, err = cl.Line(r.timeout + 10*time.Second)
	if err != nil {
		return err
	}
	if line != "ready "+strconv.Itoa(r.n) {
		return fmt.Errorf("%s: %s", clName, line)
	}
	secs := strconv.FormatFloat(r.timeout.Seconds(), 'f', -1, 64)
	if _, err := srv.Ask("wait "+strconv.Itoa(r.n)+" "+secs, r.timeout+10*time.Second); err != nil {
		return err
	}
	if err := srv.AskJSON("mem", 60*time.Second, &res.After); err != nil {
		return err
	}
	if r.heapProfile != "" {
		path, err := filepath.Abs(r.heapProfile)
		if err != nil {
			return err
		}
		if _, err := srv.Ask("heap "+path, 60*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// WriteIdleTable writes results as a Markdown table.
func WriteIdleTable(w io.Writer, results []IdleResult) {
	fmt.Fprintln(w, "| lib | echo loop | conns | heap+stack / conn | heap | stack | RSS / conn | goroutines / conn |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---:|---:|---:|")
	for _, r := range results {
		mode := "in handler"
		if r.Spawn {
			mode = "own goroutine"
		}
		if r.Lib == rawLib.Name {
			mode = "own goroutine"
		}
		fmt.Fprintf(w, "| %s | %s | %d | %s | %s | %s | %s | %.2f |\n", r.Lib, mode, r.N,
			kb(r.HeapStackPerConn()), kb(r.HeapPerConn()), kb(r.StackPerConn()), kb(r.RSSPerConn()), r.GoroutinesPerConn())
	}
}

func kb(b float64) string { return strconv.FormatFloat(b/1024, 'f', 2, 64) + " KiB" }

// IdleLibs returns the libraries measured for idle memory: each library's
// usual API.
func IdleLibs() []*Lib {
	var out []*Lib
	for _, l := range Libs {
		if l.Idle {
			out = append(out, l)
		}
	}
	return out
}

package bench

import (
	"bytes"
	"context"
	"flag"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/payload"
)

var compressFlag = flag.Bool("compress", false, "run BenchmarkCompress (minutes; run.sh runs it in a pass of its own)")

// compressSizes are the message sizes of BenchmarkCompress.
var compressSizes = []int{1 << 10, 16 << 10, 128 << 10}

// compressMessages returns the messages a connection sends in turn: the
// kind's payload cut into pieces of size bytes.
func compressMessages(k payload.Kind, size int) [][]byte {
	data := k.Data()
	out := make([][]byte, 0, len(data)/size)
	for off := 0; off+size <= len(data); off += size {
		out = append(out, data[off:off+size])
	}
	return out
}

// TestCompressEcho checks every compression variant's server and client
// against each other in one process: permessage-deflate negotiated or not
// as set, and every kind of payload echoed intact, with the bytes on the
// wire showing compression.
func TestCompressEcho(t *testing.T) {
	for _, lib := range CompressLibs {
		t.Run("lib="+lib.Name, func(t *testing.T) {
			t.Parallel()
			srv, err := StartCompressServer(lib, "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			var cc counter
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			c, err := lib.dialWith(ctx, srv.Addr(), cc.dial)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, BufSize)
			for _, k := range payload.Kinds {
				r0 := cc.read.Load()
				raw := 0
				for _, msg := range compressMessages(k, 16<<10)[:4] {
					assertEcho(t, c, msg, buf)
					raw += len(msg)
				}
				ratio := float64(cc.read.Load()-r0) / float64(raw)
				switch {
				case !lib.Compress && ratio < 1:
					t.Errorf("%s: %.3f of the bytes on the wire with compression off", k, ratio)
				case lib.Compress && (k == payload.JSON || k == payload.HTML) && ratio > 0.5:
					t.Errorf("%s: %.3f of the bytes on the wire: not compressed", k, ratio)
				}
			}
		})
	}
}

// counter counts the bytes a client's connection reads and writes.
type counter struct{ read, written atomic.Int64 }

func (c *counter) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	nc, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return countConn{nc, c}, nil
}

type countConn struct {
	net.Conn
	c *counter
}

func (c countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.c.read.Add(int64(n))
	return n, err
}

func (c countConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.c.written.Add(int64(n))
	return n, err
}

// TestCompressIdle runs the compressed idle-memory harness end to end on a
// few connections: separate server and client processes, the extension
// negotiated as each variant says, and memory that grew.
func TestCompressIdle(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	const n = 50
	var libs []*CompressLib
	for _, name := range []string{"ours", "ours-takeover", "ours-off", "gws-takeover"} {
		l, err := CompressLibByName(name)
		if err != nil {
			t.Fatal(err)
		}
		libs = append(libs, l)
	}
	results, err := RunCompressIdle(CompressIdleConfig{
		Server: compressCommand(t, "compressserver"), Client: compressCommand(t, "compressidleclient"),
		Libs: libs, N: n, Msgs: 3, Size: 16 << 10, Sources: 2, Timeout: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"ours":          "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
		"ours-takeover": "permessage-deflate",
		"ours-off":      "(none)",
		"gws-takeover":  "permessage-deflate; server_max_window_bits=12; client_max_window_bits=12",
	}
	for _, r := range results {
		if r.N != n {
			t.Errorf("%s: N = %d, want %d", r.Lib, r.N, n)
		}
		if r.Negotiated != want[r.Lib] {
			t.Errorf("%s: negotiated %q, want %q", r.Lib, r.Negotiated, want[r.Lib])
		}
		if b := r.HeapStackPerConn(); b < 1024 {
			t.Errorf("%s: %.0f bytes of heap and stack per connection; a connection costs at least a goroutine stack", r.Lib, b)
		}
	}
	var table bytes.Buffer
	WriteCompressIdleTable(&table, results)
	if !strings.Contains(table.String(), "| ours-takeover |") || !strings.Contains(table.String(), "(×") {
		t.Errorf("table lacks rows or comparisons:\n%s", table.String())
	}
}

var (
	compressBuildOnce sync.Once
	compressBuildErr  error
)

// compressCommand returns the path of a compression command, built once
// per test binary into the directory of the other commands (which
// TestMain removes).
func compressCommand(tb testing.TB, name string) string {
	tb.Helper()
	dir := strings.TrimSuffix(commandPath(tb, "echoserver"), "echoserver")
	compressBuildOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, compressBuildErr = Build(ctx, dir, "compressserver", "compressidleclient")
	})
	if compressBuildErr != nil {
		tb.Fatal(compressBuildErr)
	}
	return dir + name
}

// compressServerProc returns the compressserver process of lib, started
// on first use; closeProcs stops it when the test binary ends.
func compressServerProc(tb testing.TB, lib *CompressLib) *echoProc {
	tb.Helper()
	return sharedProc(tb, "compress/"+lib.Name, compressCommand(tb, "compressserver"), "-lib", lib.Name)
}

// BenchmarkCompress measures, for each kind of payload of conformance
// group 12 and each message size, the round trip of one compressed
// message and its compressed echo, ours against gorilla/websocket and
// lxzan/gws, each with compression on both sides and the server in a
// separate process. Messages are cut in turn from the payload, as in
// group 12. It runs only with -compress.
//
// Metrics: ratio is the bytes the client read for the echoes (frames
// included) over the bytes of the messages, measured on a connection of
// its own over one pass through the payload; c-ratio the same for what the
// client wrote. msgs/s counts round trips per second on one connection;
// cpu-ns/op is the CPU time both processes used per round trip;
// srv-allocs/op the server's allocations.
func BenchmarkCompress(b *testing.B) {
	if !*compressFlag {
		b.Skip("run with -compress")
	}
	var libs []*CompressLib
	for _, l := range CompressLibs {
		if l.Compress {
			libs = append(libs, l)
		}
	}
	for _, k := range payload.Kinds {
		b.Run("kind="+k.String(), func(b *testing.B) {
			for _, size := range compressSizes {
				b.Run("size="+sizeName(size), func(b *testing.B) {
					msgs := compressMessages(k, size)
					for _, lib := range libs {
						b.Run("lib="+lib.Name, func(b *testing.B) {
							compressRoundTrip(b, lib, compressServerProc(b, lib), msgs)
						})
					}
				})
			}
		})
	}
}

func compressRoundTrip(b *testing.B, lib *CompressLib, e *echoProc, msgs [][]byte) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	buf := make([]byte, BufSize)

	// The ratio, on a counted connection, over every message once.
	var cc counter
	cm, err := lib.dialWith(ctx, e.addr, cc.dial)
	if err != nil {
		b.Fatal(err)
	}
	r0, w0 := cc.read.Load(), cc.written.Load()
	raw := 0
	for _, m := range msgs {
		assertEcho(b, cm, m, buf)
		raw += len(m)
	}
	ratio := float64(cc.read.Load()-r0) / float64(raw)
	cratio := float64(cc.written.Load()-w0) / float64(raw)
	cm.Close()

	c, err := lib.Dial(ctx, e.addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	assertEcho(b, c, msgs[0], buf) // and warm up
	before := e.stats(b)
	cpu0 := CPUTime()
	b.SetBytes(int64(len(msgs[0])))
	b.ReportAllocs()
	start := time.Now()
	i := 1
	for b.Loop() {
		m := msgs[i%len(msgs)]
		i++
		got, err := c.Echo(m, buf)
		if err != nil {
			b.Fatal(err)
		}
		if !bytes.Equal(got, m) {
			b.Fatalf("echo %d of %d bytes came back as %d different bytes", i, len(m), len(got))
		}
	}
	elapsed := time.Since(start)
	cpu := CPUTime() - cpu0
	after := e.stats(b)
	cpu += time.Duration(after.CPU - before.CPU)
	mallocs := float64(after.Mallocs-before.Mallocs) - float64(e.overhead)
	b.ReportMetric(ratio, "ratio")
	b.ReportMetric(cratio, "c-ratio")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(max(mallocs, 0)/float64(b.N), "srv-allocs/op")
}

package bench

import (
	"bytes"
	"context"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"
)

// sizes are the message sizes every benchmark and test uses.
var sizes = []int{16, 1 << 10, 64 << 10, 1 << 20}

func sizeName(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + "MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}

// message returns n bytes of pseudo-random data, the same for a given n.
func message(n int) []byte {
	r := rand.New(rand.NewPCG(uint64(n), 7))
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(r.Uint32())
	}
	return p
}

func startServer(t testing.TB, lib *Lib, opts *ServerOptions) *Server {
	t.Helper()
	srv, err := StartServer(lib, "127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close server: %v", err)
		}
	})
	return srv
}

func dial(t testing.TB, lib *Lib, addr string) Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := lib.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func assertEcho(t testing.TB, c Client, msg, buf []byte) {
	t.Helper()
	got, err := c.Echo(msg, buf)
	if err != nil {
		t.Fatalf("echo of %d bytes: %v", len(msg), err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("echo of %d bytes came back as %d different bytes", len(msg), len(got))
	}
}

// TestEcho checks every library's server and client against each other
// in one process: each size comes back intact, several times on one
// connection, and the server counts the connection.
func TestEcho(t *testing.T) {
	for _, lib := range Libs {
		for _, spawn := range []bool{false, true} {
			t.Run("lib="+lib.Name+"/spawn="+strconv.FormatBool(spawn), func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, lib, &ServerOptions{Spawn: spawn})
				c := dial(t, lib, srv.Addr())
				buf := make([]byte, BufSize)
				for _, size := range sizes {
					msg := message(size)
					for range 3 {
						assertEcho(t, c, msg, buf)
					}
				}
				if got := srv.Active(); got != 1 {
					t.Errorf("server reports %d active connections, want 1", got)
				}
				if err := c.Close(); err != nil {
					t.Errorf("close client: %v", err)
				}
			})
		}
	}
}

// TestEchoProcess checks every library's client against its server in a
// separate process, as the benchmarks use them, and the server's stats.
func TestEchoProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts server processes")
	}
	for _, lib := range Libs {
		t.Run("lib="+lib.Name, func(t *testing.T) {
			e := serverProc(t, lib)
			before := e.stats(t)
			c := dial(t, lib, e.addr)
			defer c.Close()
			buf := make([]byte, BufSize)
			for _, size := range sizes {
				assertEcho(t, c, message(size), buf)
			}
			after := e.stats(t)
			if after.Conns != before.Conns+1 {
				t.Errorf("server counted %d new connections, want 1", after.Conns-before.Conns)
			}
			if after.TotalAlloc <= before.TotalAlloc {
				t.Errorf("server's allocation counter did not move (%d to %d)", before.TotalAlloc, after.TotalAlloc)
			}
		})
	}
}

// TestServerClose checks that closing a server ends its connections: the
// client's next echo fails, and Close has waited for the server's
// goroutines (the leak check in TestMain would catch one left behind).
func TestServerClose(t *testing.T) {
	for _, lib := range Libs {
		t.Run("lib="+lib.Name, func(t *testing.T) {
			t.Parallel()
			srv, err := StartServer(lib, "127.0.0.1:0", nil)
			if err != nil {
				t.Fatal(err)
			}
			c := dial(t, lib, srv.Addr())
			defer c.Close()
			buf := make([]byte, BufSize)
			assertEcho(t, c, message(16), buf)
			if err := srv.Close(); err != nil {
				t.Fatalf("close server: %v", err)
			}
			if got := srv.Active(); got != 0 {
				t.Errorf("%d connections still active after Close", got)
			}
			if _, err := c.Echo(message(16), buf); err == nil {
				t.Error("echo succeeded after the server closed")
			}
			if err := srv.Close(); err == nil {
				t.Error("second Close returned nil, want an error")
			}
		})
	}
}

func TestSelectLibs(t *testing.T) {
	tests := []struct {
		list    string
		want    []string
		wantErr bool
	}{
		{"", Names(Libs), false},
		{"all", Names(Libs), false},
		{"ours, raw", []string{"ours", "raw"}, false},
		{"ours,nope", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			got, err := SelectLibs(tt.list)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if g := Names(got); !equalStrings(g, tt.want) {
				t.Errorf("got %v, want %v", g, tt.want)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

package bench

import (
	"bytes"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkRoundTrip measures one message out and its echo back, with the
// echo server in a separate process, as users run them: the allocations
// reported (allocs/op, B/op) are the client's alone, and srv-allocs/op are
// the server's, read from the server process. cpu-ns/op is the CPU time
// both processes used per round trip.
func BenchmarkRoundTrip(b *testing.B) {
	for _, lib := range Libs {
		b.Run("lib="+lib.Name, func(b *testing.B) {
			e := serverProc(b, lib)
			for _, size := range sizes {
				b.Run("size="+sizeName(size), func(b *testing.B) {
					roundTrip(b, lib, e.addr, e, size)
				})
			}
		})
	}
}

// BenchmarkRoundTripInProcess is BenchmarkRoundTrip with the server in
// the benchmark's process: allocations then count both sides, and a CPU
// profile (-cpuprofile) shows both.
func BenchmarkRoundTripInProcess(b *testing.B) {
	for _, lib := range Libs {
		b.Run("lib="+lib.Name, func(b *testing.B) {
			srv := startServer(b, lib, nil)
			for _, size := range sizes {
				b.Run("size="+sizeName(size), func(b *testing.B) {
					roundTrip(b, lib, srv.Addr(), nil, size)
				})
			}
		})
	}
}

// roundTrip times echoes of one message on one connection. With e set it
// also reports the server process's allocations per echo.
func roundTrip(b *testing.B, lib *Lib, addr string, e *echoProc, size int) {
	c := dial(b, lib, addr)
	defer c.Close()
	msg := message(size)
	buf := make([]byte, BufSize)
	assertEcho(b, c, msg, buf) // and warm up

	var before AllocStats
	if e != nil {
		before = e.stats(b)
	}
	lat := latencies()
	gc0 := numGC()
	cpu0 := CPUTime()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		got, err := c.Echo(msg, buf)
		lat.add(time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		if len(got) != len(msg) {
			b.Fatalf("echo of %d bytes came back with %d", len(msg), len(got))
		}
	}
	cpu := CPUTime() - cpu0
	gcs := numGC() - gc0
	if e != nil {
		after := e.stats(b)
		mallocs := float64(after.Mallocs-before.Mallocs) - float64(e.overhead)
		b.ReportMetric(max(mallocs, 0)/float64(b.N), "srv-allocs/op")
		cpu += time.Duration(after.CPU - before.CPU)
		b.ReportMetric(float64(after.NumGC-before.NumGC), "srv-gcs")
	}
	b.ReportMetric(float64(gcs), "gcs")
	lat.report(b)
	// CPU time of both sides: far less sensitive than wall time to other
	// processes on the machine, which make a round trip wait for a core.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	assertEcho(b, c, msg, buf) // the connection still echoes intact
	if !bytes.Equal(msg, message(len(msg))) {
		b.Fatal("the client modified the message it sent")
	}
}

// BenchmarkThroughput measures echoes per second over 100 connections at
// once, each doing request/response, against a server process.
// msgs/s counts messages echoed (each one crosses the wire twice);
// cpu-ns/op is the CPU time client and server used per message.
func BenchmarkThroughput(b *testing.B) {
	const conns = 100
	for _, lib := range Libs {
		b.Run("lib="+lib.Name, func(b *testing.B) {
			e := serverProc(b, lib)
			for _, size := range []int{16, 1 << 10} {
				b.Run("size="+sizeName(size), func(b *testing.B) {
					throughput(b, lib, e, conns, size)
				})
			}
		})
	}
}

func throughput(b *testing.B, lib *Lib, e *echoProc, conns, size int) {
	msg := message(size)
	clients := make([]Client, conns)
	bufs := make([][]byte, conns)
	for i := range clients {
		clients[i] = dial(b, lib, e.addr)
		bufs[i] = make([]byte, BufSize)
		assertEcho(b, clients[i], msg, bufs[i])
	}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()

	// b.N echoes in all, shared out as the connections ask for them.
	var next atomic.Int64
	var (
		errOnce  sync.Once
		firstErr error
	)
	var wg sync.WaitGroup
	before := e.stats(b)
	cpu0 := CPUTime()
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i, c := range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				got, err := c.Echo(msg, bufs[i])
				if err == nil && len(got) != len(msg) {
					err = errShortEcho
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := CPUTime() - cpu0
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	after := e.stats(b)
	cpu += time.Duration(after.CPU - before.CPU)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

var errShortEcho = errors.New("echo came back with a different length")

package ws

import (
	"context"
	"net"
	"runtime"
	"testing"
	"time"
)

// A frame header is a promise, not a delivery: a peer that announces a
// 16 MiB message and sends a little of it must cost a little memory, and
// memory grows with the bytes that arrive.
func TestReadMemoryFollowsBytesNotAnnouncedLength(t *testing.T) {
	for _, announced := range []int{16 << 20, 1 << 20} {
		local, peer := net.Pipe()
		cfg := newConnConfig(DefaultReadLimit, 0, time.Second, 0, 0, nil)
		c := newConn(local, false, cfg, nil)
		done := make(chan error, 1)

		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		go func() {
			_, _, err := c.Read(context.Background())
			done <- err
		}()
		sent := 1000
		frame := appendHeader(nil, true, 0, opBinary, announced, true, 0x01020304)
		payload := make([]byte, sent)
		maskBytes(0x01020304, 0, payload)
		if _, err := peer.Write(append(frame, payload...)); err != nil {
			t.Fatal(err)
		}
		// net.Pipe's Write returns once the reader took every byte: after
		// this one, Read has consumed the first 1000 bytes and whatever it
		// allocated for them, and waits for more.
		if _, err := peer.Write([]byte{0}); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		peer.Close()
		if err := <-done; err == nil {
			t.Fatal("Read of a message cut short returned no error")
		}
		c.CloseNow()

		grew := after.TotalAlloc - before.TotalAlloc
		if grew > 256<<10 {
			t.Errorf("announced %d bytes, sent %d: Read allocated %d bytes; want it to follow the bytes sent", announced, sent+1, grew)
		}
	}
}

package deflate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// zlibDecoder decodes streams of messages with Python's zlib (the C
// library browsers and most servers use), through a decompressobj with a
// window of exactly 1<<wbits bytes. It feeds at most 64 bytes of output
// room per inflate call: inflate then never takes its fast path and
// checks every distance against the bytes it really keeps, so a distance
// past the window fails with "invalid distance too far back".
//
// Input records: kind (0 = new stream, 1 = message), wbits, length (4
// bytes, little-endian), data. Output: each message's plaintext, length
// first.
const zlibDecoder = `
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
out = sys.stdout.buffer
i, d = 0, None
while i < len(data):
    kind, wbits, n = struct.unpack_from('<BBI', data, i)
    i += 6
    payload = data[i:i+n]
    i += n
    if kind == 0:
        d = zlib.decompressobj(-wbits)
        continue
    buf = payload + b'\x00\x00\xff\xff'
    parts = []
    while True:
        chunk = d.decompress(buf, 64)
        buf = d.unconsumed_tail
        if chunk:
            parts.append(chunk)
        elif not buf:
            break
    msg = b''.join(parts)
    out.write(struct.pack('<I', len(msg)) + msg)
`

type zlibStream struct {
	wbits int
	msgs  [][]byte // plaintext
	outs  [][]byte // compressed, without the sync flush tail
}

// runZlib decodes streams with Python's zlib and returns each stream's
// messages, or the decoder's error output.
func runZlib(t *testing.T, streams []zlibStream) ([][][]byte, error) {
	t.Helper()
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		if os.Getenv("VIZSERVE_REQUIRE_PEERS") == "1" {
			t.Fatalf("%s is missing (apt-get install python3): %v", python, err)
		}
		t.Skipf("%s is missing: install python3 (Debian package) to check against zlib", python)
	}
	var in bytes.Buffer
	rec := func(kind, wbits int, p []byte) {
		in.WriteByte(byte(kind))
		in.WriteByte(byte(wbits))
		in.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(p))))
		in.Write(p)
	}
	for _, s := range streams {
		rec(0, s.wbits, nil)
		for _, o := range s.outs {
			rec(1, s.wbits, o)
		}
	}
	file := filepath.Join(t.TempDir(), "streams")
	if err := os.WriteFile(file, in.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(python, "-c", zlibDecoder, file)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(stderr.String()))
	}
	out := stdout.Bytes()
	res := make([][][]byte, len(streams))
	for i, s := range streams {
		for range s.outs {
			if len(out) < 4 {
				return nil, fmt.Errorf("zlib: output ends early")
			}
			n := int(binary.LittleEndian.Uint32(out))
			res[i] = append(res[i], out[4:4+n])
			out = out[4+n:]
		}
	}
	return res, nil
}

// TestZlibWindow decodes our output for every window with zlib limited to
// that window, with and without context takeover.
func TestZlibWindow(t *testing.T) {
	t.Parallel()
	var streams []zlibStream
	for wb := 8; wb <= 15; wb++ {
		window := 1 << wb
		var msgs [][]byte
		for _, p := range payloads(window, true) {
			msgs = append(msgs, p.data)
		}
		msgs = append(msgs, msgs[4], msgs[5], msgs[len(msgs)-1])
		levels := []int{0, 1, 6, 9}
		if testing.Short() {
			levels = []int{1, 6}
		}
		for _, level := range levels {
			for _, takeover := range []bool{false, true} {
				outs := compressMessages(New(wb, level), msgs, "random", uint64(level), takeover)
				if takeover {
					streams = append(streams, zlibStream{wb, msgs, outs})
					continue
				}
				// zlib's window does not forget: a fresh stream per message.
				for i := range msgs {
					streams = append(streams, zlibStream{wb, msgs[i : i+1], outs[i : i+1]})
				}
			}
		}
	}
	got, err := runZlib(t, streams)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i, s := range streams {
		for j, m := range s.msgs {
			if !bytes.Equal(got[i][j], m) {
				t.Fatalf("stream %d (wbits %d) message %d: zlib decoded %d bytes, want %d", i, s.wbits, j, len(got[i][j]), len(m))
			}
			n++
		}
	}
	t.Logf("zlib decoded %d messages in %d streams", n, len(streams))
}

// TestZlibCatchesFarDistance shows the zlib check works: data compressed
// with a 512-byte window fails to decode with a 256-byte one.
func TestZlibCatchesFarDistance(t *testing.T) {
	t.Parallel()
	msg := periodicPayload(20000, 400, 1)
	c := New(9, 6)
	out := c.Finish(c.Write(nil, msg))
	if _, err := runZlib(t, []zlibStream{{9, [][]byte{msg}, [][]byte{out}}}); err != nil {
		t.Fatalf("window 512: %v", err)
	}
	_, err := runZlib(t, []zlibStream{{8, [][]byte{msg}, [][]byte{out}}})
	if err == nil || !strings.Contains(err.Error(), "too far back") {
		t.Fatalf("window 256: want an \"invalid distance too far back\" error, got %v", err)
	}
	if _, _, err := inflateMessage(nil, out, 256); err == nil || !strings.Contains(err.Error(), "past the window") {
		t.Fatalf("strict test decoder, window 256: want a distance past the window, got %v", err)
	}
}

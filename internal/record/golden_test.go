package record

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/v1.golden (and write testdata/v1.vzr if it is missing)")

// TestGoldenV1 plays a file written by the first version of the format:
// every later version must keep playing it, so v1.vzr is never rewritten
// (-update writes it only when it is missing) and what it plays is pinned
// in v1.golden.
func TestGoldenV1(t *testing.T) {
	t.Parallel()
	path := filepath.Join("testdata", "v1.vzr")
	file, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && *update {
		file, _, _ = recording(t, newBalls(8, 5, true), 60*5, nil)
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		err = os.WriteFile(path, file, 0o644)
	}
	if err != nil {
		t.Fatal(err)
	}
	r := open(t, file)
	var sb strings.Builder
	h := r.Header()
	fmt.Fprintf(&sb, "version %d protocol %s title %q size %gx%g start %s\n", h.Version, h.Protocol, h.Title, h.Width, h.Height, h.Start.UTC().Format(time.RFC3339Nano))
	fmt.Fprintf(&sb, "duration %v segments %d indexed %v\n", r.Duration(), len(r.Segments()), r.Indexed())
	for _, at := range []time.Duration{0, 1500 * time.Millisecond, 2500 * time.Millisecond, 4900 * time.Millisecond, time.Hour} {
		m, err := r.Seek(at)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := m.Dump(), replay(t, r, at).Dump(); got != want {
			t.Fatalf("seek(%v) differs from the replay", at)
		}
		fmt.Fprintf(&sb, "--- at %v\n%s", at, m.Dump())
	}
	golden := filepath.Join("testdata", "v1.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if sb.String() != string(want) {
		t.Fatalf("testdata/v1.vzr plays differently:\n%s\nwant\n%s", sb.String(), want)
	}
	if !bytes.HasPrefix(file, []byte(magic)) {
		t.Fatal("the golden file lost its magic")
	}
}

package record

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vizserve/vizserve/internal/testkit/deadline"
	"github.com/vizserve/vizserve/scene/wire"
)

// childEnv names the file a recording child writes; the test binary is
// that child when it is set.
const childEnv = "VIZSERVE_RECORD_CHILD"

func init() {
	if path := os.Getenv(childEnv); path != "" {
		recordForever(path)
	}
}

// recordForever records a busy scene into path until it is killed,
// saying on stdout how many records are written each time a segment
// starts.
func recordForever(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	c := &clock{now: time.Unix(1e9, 0)}
	w := NewWriter(f, &Options{Now: c.Now})
	b := newBalls(200, 9, true)
	b.s.Subscribe(wire.SinkFunc(w.Send))
	segs := int64(0)
	for {
		b.s.Advance(1.0 / 60)
		c.now = c.now.Add(time.Second / 60)
		if err := w.Flush(); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		if st := w.Stats(); st.Segments != segs {
			segs = st.Segments
			fmt.Printf("records %d segments %d\n", st.Records, st.Segments)
		}
	}
}

// TestKilledMidWrite records in a child process, kills it with SIGKILL
// while it writes, and plays what it left: every record it had written
// and flushed when it said so, and seeking in it equals replaying it.
func TestKilledMidWrite(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "killed.vzr")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var written int64
	for written == 0 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the child ended before it recorded 4 segments")
			}
			var recs, segs int64
			if _, err := fmt.Sscanf(l, "records %d segments %d", &recs, &segs); err != nil {
				t.Fatalf("the child says %q", l)
			}
			if segs >= 4 {
				written = recs
			}
		case <-deadline.After(t):
			cmd.Process.Kill()
			t.Fatal("the child did not record 4 segments before the test's deadline")
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	for range lines {
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the child was not killed: %v", err)
	}
	f, err := OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Indexed() {
		t.Fatal("a killed recorder's file has an index")
	}
	n := int64(0)
	for {
		if _, err := f.Next(); err != nil {
			break
		}
		n++
	}
	if n < written {
		t.Fatalf("%d records play; the child had written %d", n, written)
	}
	for _, at := range []time.Duration{0, f.Duration() / 3, f.Duration() / 2, f.Duration()} {
		m, err := f.Seek(at)
		if err != nil {
			t.Fatal(err)
		}
		if m.Dump() != replay(t, f.Reader, at).Dump() {
			t.Fatalf("seek(%v) differs from the replay", at)
		}
	}
	t.Logf("killed after %d records; %d play, %v, %d segments", written, n, f.Duration(), len(f.Segments()))
}

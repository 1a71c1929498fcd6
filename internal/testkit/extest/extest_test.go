package extest

import (
	"context"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
	"github.com/vizserve/vizserve/server"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// Only tests may import extest.
func TestImportedOnlyByTests(t *testing.T) {
	t.Parallel()
	const self = "github.com/vizserve/vizserve/internal/testkit/extest"
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "node_modules" || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == self {
				t.Errorf("%s imports %s, which is for tests only", path, self)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestOutputWaitFor(t *testing.T) {
	t.Parallel()
	var o Output
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 100 {
			fmt.Fprintf(&o, "line %d\n", i)
		}
	}()
	m := o.WaitFor(t, regexp.MustCompile(`line (99)\n`))
	<-done
	if m[1] != "99" {
		t.Fatalf("submatches %q", m)
	}
	if got := strings.Count(o.String(), "\n"); got != 100 {
		t.Fatalf("%d lines in the output, want 100", got)
	}
}

// fakeT records failures; Fatal ends the goroutine as testing.T's does.
type fakeT struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (f *fakeT) Helper() {}
func (f *fakeT) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs = append(f.errs, fmt.Sprintf(format, args...))
}
func (f *fakeT) Error(args ...any) { f.Errorf("%s", fmt.Sprint(args...)) }
func (f *fakeT) Fatal(args ...any) {
	f.Error(args...)
	runtime.Goexit()
}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }

// do runs fn on a goroutine of its own, as a test, then the cleanups, and
// returns the failures.
func (f *fakeT) do(fn func(t testing.TB)) []string {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f.errs
}

func TestStart(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		run  RunFunc
		wait bool   // the test calls Wait
		stop bool   // the test calls Stop
		url  string // what Start returns
		errs string // the failures, joined by "|"
	}{
		{
			name: "serves until cancelled",
			run: func(ctx context.Context, args []string, out io.Writer) error {
				if strings.Join(args, " ") != "-addr 127.0.0.1:0 -v" {
					return fmt.Errorf("args %q", args)
				}
				fmt.Fprintln(out, "x: open http://127.0.0.1:8123/ now")
				<-ctx.Done()
				return nil
			},
			url: "http://127.0.0.1:8123",
		},
		{
			name: "fails when stopped",
			run: func(ctx context.Context, args []string, out io.Writer) error {
				fmt.Fprintln(out, "x: open http://127.0.0.1:8123/")
				<-ctx.Done()
				return errors.New("boom")
			},
			url:  "http://127.0.0.1:8123",
			errs: "run: boom",
		},
		{
			name: "the test judges the error",
			run: func(ctx context.Context, args []string, out io.Writer) error {
				fmt.Fprintln(out, "x: open http://127.0.0.1:8123/")
				return errors.New("done early")
			},
			wait: true,
			url:  "http://127.0.0.1:8123",
		},
		{
			name: "the test stops it and judges the error",
			run: func(ctx context.Context, args []string, out io.Writer) error {
				fmt.Fprintln(out, "x: open http://127.0.0.1:8123/")
				<-ctx.Done()
				return errors.New("stopped")
			},
			stop: true,
			url:  "http://127.0.0.1:8123",
		},
		{
			name: "returns before printing its URL",
			run: func(ctx context.Context, args []string, out io.Writer) error {
				fmt.Fprintln(out, "x: bad flag")
				return errors.New("bad flag")
			},
			errs: "run returned bad flag before its output matched",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var url string
			var waited error
			errs := (&fakeT{}).do(func(ft testing.TB) {
				ex := Start(ft, tc.run, "-v")
				url = ex.URL
				switch {
				case tc.wait:
					waited = ex.Wait(ft)
				case tc.stop:
					waited = ex.Stop(ft)
				}
			})
			if url != tc.url {
				t.Errorf("URL %q, want %q", url, tc.url)
			}
			if (tc.wait || tc.stop) && waited == nil {
				t.Error("Wait or Stop returned nil")
			}
			if got := strings.Join(errs, "|"); tc.errs == "" && got != "" || !strings.Contains(got, tc.errs) {
				t.Errorf("failures %q, want %q", got, tc.errs)
			}
		})
	}
}

func TestServeAndGet(t *testing.T) {
	t.Parallel()
	s := server.New(server.Config{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	s.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "hello "+r.URL.Path) })
	stop := Serve(t, s)
	if status, body := Get(t, s.URL()+"/x"); status != 200 || body != "hello /x" {
		t.Fatalf("got %d %q", status, body)
	}
	stop()
	stop() // and again at cleanup: once only
	if _, err := http.Get(s.URL() + "/"); err == nil {
		t.Fatal("still serving after stop")
	}
}

func TestWSURL(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"http://127.0.0.1:80":   "ws://127.0.0.1:80",
		"https://example.org/a": "wss://example.org/a",
	} {
		if got := WSURL(in); got != want {
			t.Errorf("WSURL(%q) = %q, want %q", in, got, want)
		}
	}
}

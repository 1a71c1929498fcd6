package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestManifest(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"client.js", "style.css", "favicon.svg"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			u := URL(name)
			b := Bytes(name)
			if len(b) == 0 {
				t.Fatalf("Bytes(%q) is empty", name)
			}
			// The name carries the first bytes of the content's SHA-256.
			sum := sha256.Sum256(b)
			base, ext, _ := strings.Cut(name, ".")
			want := Prefix + base + "-" + hex.EncodeToString(sum[:6]) + "." + ext
			if u != want {
				t.Errorf("URL(%q) = %q, want %q", name, u, want)
			}
		})
	}
	if URL("nope.js") != "" || Bytes("nope.js") != nil {
		t.Error("an unknown name has a URL or contents")
	}
	if n := len(Names()); n != 3 {
		t.Errorf("%d assets, want 3", n)
	}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(Handler())
	t.Cleanup(srv.Close)
	js := URL("client.js")
	for _, tc := range []struct {
		name, method, path string
		header             map[string]string
		status             int
		typ, body          string
	}{
		{"script", "GET", js, nil, 200, "text/javascript; charset=utf-8", string(Bytes("client.js"))},
		{"stylesheet", "GET", URL("style.css"), nil, 200, "text/css; charset=utf-8", string(Bytes("style.css"))},
		{"favicon", "GET", URL("favicon.svg"), nil, 200, "image/svg+xml", string(Bytes("favicon.svg"))},
		{"head", "HEAD", js, nil, 200, "text/javascript; charset=utf-8", ""},
		{"revalidation", "GET", js, map[string]string{"If-None-Match": `"` + strings.TrimPrefix(js, Prefix) + `"`}, 304, "", ""},
		{"logical name", "GET", Prefix + "client.js", nil, 404, "", ""},
		{"unknown", "GET", Prefix + "client-000000000000.js", nil, 404, "", ""},
		{"directory", "GET", Prefix, nil, 404, "", ""},
		{"traversal", "GET", Prefix + "..%2fassets.go", nil, 404, "", ""},
		{"post", "POST", js, nil, 405, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			res, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil {
				t.Fatal(err)
			}
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%s)", res.StatusCode, tc.status, body)
			}
			if tc.status != 200 {
				return
			}
			if got := res.Header.Get("Content-Type"); got != tc.typ {
				t.Errorf("Content-Type %q, want %q", got, tc.typ)
			}
			if got := res.Header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("Cache-Control %q", got)
			}
			if string(body) != tc.body {
				t.Errorf("body of %d bytes, want %d", len(body), len(tc.body))
			}
		})
	}
}

func TestHandlerBehindStripPrefix(t *testing.T) {
	t.Parallel()
	h := http.StripPrefix("/static/", Handler())
	file := strings.TrimPrefix(URL("style.css"), Prefix)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/static/"+file, nil))
	if rec.Code != 200 || rec.Body.String() != string(Bytes("style.css")) {
		t.Errorf("status %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

func TestMain(m *testing.M) { leakcheck.Main(m) }

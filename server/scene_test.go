package server

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/assets"
	"github.com/vizserve/vizserve/scene"
)

func TestMountScene(t *testing.T) {
	t.Parallel()
	sc := scene.New(scene.Options{Width: 200, Height: 100})
	sc.Root().Circle(50, 50, 10, `id="ball"`, "fill:crimson")
	g := 9.8
	sc.Slider("gravity", &g, 0, 20, 0.1).Label("Gravity")
	liveScene(t, sc)
	s := New(Config{Addr: "127.0.0.1:0", Logger: quiet})
	MountScene(s, sc, &SceneOptions{Title: "bounce"})
	start(t, s)

	resp, body := get(t, nil, s.URL()+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`id="ball"`, "Gravity", "<title>bounce", assets.URL("client.js")} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, path := range []string{"/scene.svg", "/snapshot.svg"} {
		resp, body := get(t, nil, s.URL()+path)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if !strings.Contains(body, `id="ball"`) {
			t.Errorf("%s lacks the ball", path)
		}
		d := xml.NewDecoder(strings.NewReader(body))
		for {
			if _, err := d.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%s is not well-formed XML: %v", path, err)
			}
		}
		if script := strings.Contains(body, "<script"); script != (path == "/scene.svg") {
			t.Errorf("%s: script present = %v", path, script)
		}
	}
	resp, _ = get(t, nil, s.URL()+assets.URL("client.js"))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if resp, _ := get(t, nil, s.URL()+"/nothing-here"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown path: %d", resp.StatusCode)
	}
	v := newViewer(t, s, 0)
	v.waitFor(t, "the ball over /ws", markupHas(`id="ball"`))
}

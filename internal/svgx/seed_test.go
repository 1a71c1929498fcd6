package svgx

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	svg "github.com/ajstarks/svgo"
)

var update = flag.Bool("update", false, "rewrite the committed seed corpus under testdata/fuzz")

func seeds() []string {
	var buf bytes.Buffer
	c := svg.New(&buf)
	c.Start(200, 100)
	c.Title("t & t")
	c.Gid("layer")
	c.Circle(10, 20, 5, "fill:red", `id="ball"`)
	c.Gend()
	c.Textspan(5, 6, "a")
	c.Span("b", "fill:blue")
	c.Span("c")
	c.TextEnd()
	c.Style("text/css", ".x { fill: red }")
	c.End()
	return []string{
		buf.String(),
		`<svg id="r" a='1'><g id="g">x<rect/>y</g><!-- c --><?pi?></svg>`,
		`<t a="&quot;&#65;&#x42;">&amp;&lt;&gt;</t>`,
		`<!DOCTYPE svg><svg/>`,
		`<svg>`,
		`<a><b></a></b>`,
	}
}

func TestSeedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzParse")
	ss := seeds()
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for i, s := range ss {
			body := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", s)
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed%02d", i)), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seed*"))
	if len(files) != len(ss) {
		t.Errorf("%s: %d committed seeds, want %d (run go test -run TestSeedCorpus -update)", dir, len(files), len(ss))
	}
}

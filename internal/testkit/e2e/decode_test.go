package e2e

import (
	"encoding/json"
	"regexp"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/browser"
	"github.com/vizserve/vizserve/scene"
	"github.com/vizserve/vizserve/scene/wire"
)

// Where the two decoders' texts may differ: numbers past 2^53, which
// JavaScript does not print exactly, and quoted strings (Go's %q against
// JSON.stringify's escapes).
var (
	bigNumber = regexp.MustCompile(`\d{16,}`)
	quoted    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

func comparable(s string) string {
	return quoted.ReplaceAllString(bigNumber.ReplaceAllString(s, "N"), `"…"`)
}

// FuzzClientDecode holds the page's batch decoder (web/client/wire.ts) to
// package wire's: the same messages decode, and the others fail with the
// same text. The seeds are messages of the point-list ops, valid and
// broken, and every prefix of them (go test runs those); go test -fuzz
// runs the page for every input.
func FuzzClientDecode(f *testing.F) {
	for _, b := range []wire.Batch{
		{Seq: 3, Ops: []wire.Op{{Code: wire.OpAppendPoints, Node: 5, Name: "points", XY: []float32{1, -2, 3.5, 1e6}}}},
		{Seq: 3, Ops: []wire.Op{{Code: wire.OpAppendPoints, Node: 1 << 30, Name: "d", Count: 7, XY: []float32{0.1, 0.2}}}},
		{Seq: 3, Ops: []wire.Op{{Code: wire.OpAppendPoints, Node: 5, Name: "data-line", Count: 300}}},
		{Seq: 3, Ops: []wire.Op{{Code: wire.OpTrimPoints, Node: 5, Name: "points", Count: 10000}, {Code: wire.OpSetNum, Node: 2, Name: "r", X: 1}}},
	} {
		msg, err := b.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		for i := 1; i <= len(msg); i++ {
			f.Add(msg[:i])
		}
	}
	f.Add([]byte{1, 0x0e, 5, 15, 0x80, 0x80, 0x80, 0x80, 0x08})    // keep 2^31
	f.Add([]byte{1, 0x0d, 5, 15, 0, 0xff, 0xff, 0x03, 0, 0, 0, 0}) // a point count the bytes cannot hold
	f.Add([]byte{1, 0x0e, 5, 0, 2, 'o', 'n', 1})                   // an event handler's name
	s := scene.New(scene.Options{Width: 10, Height: 10})
	site := Serve(f, s)
	p := Open(f, browser.ForTest(f), site.URL+"/")
	f.Fuzz(func(t *testing.T, msg []byte) {
		want := ""
		if _, err := wire.DecodeBatch(msg); err != nil {
			want = err.Error()
		}
		arg := make([]int, len(msg))
		for i, c := range msg {
			arg[i] = int(c)
		}
		js, _ := json.Marshal(arg)
		var got string
		if err := p.Eval(Ctx(t), "vizserve.decode("+string(js)+")", &got); err != nil {
			t.Fatal(err)
		}
		if (got == "") != (want == "") || comparable(got) != comparable(want) {
			t.Fatalf("%x: the page says %q, package wire %q", msg, got, want)
		}
	})
}

package web

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/clientjs"
	"github.com/vizserve/vizserve/internal/testkit/peers"
	"github.com/vizserve/vizserve/scene/wire"
)

// fmtNumValues are the float32 bit patterns the client's formatter is
// compared on: edge cases, every power of two and ten with its
// neighbours, numbers as scenes have them, and random bit patterns.
func fmtNumValues(random int) []uint32 {
	var v []uint32
	add := func(f float32) { v = append(v, math.Float32bits(f)) }
	near := func(f float32) {
		b := math.Float32bits(f)
		for d := -2; d <= 2; d++ {
			v = append(v, uint32(int64(b)+int64(d)))
		}
	}
	for _, f := range []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 0.2, 0.3, 1.5, 100, 1e6, 1e7,
		16777215, 16777216, 16777217, 33554430, 1 << 30, 1e20, 1e21, 1e-6, 1e-7,
		math.MaxFloat32, math.SmallestNonzeroFloat32, 1.1754944e-38, float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 523.4567, 0.000123, 12345.678} {
		add(f)
		add(-f)
	}
	for e := -149; e <= 127; e++ {
		near(float32(math.Ldexp(1, e)))
	}
	for e := -45; e <= 38; e++ {
		near(float32(math.Pow(10, float64(e))))
	}
	// Coordinates and sizes as scenes make them: a grid moved on circles.
	for i := range 20000 {
		a := float64(i) * 0.1
		add(float32(float64(i%1000) + 7*math.Cos(a)))
		add(float32(float64(i%700)/3 + 7*math.Sin(a)))
		add(float32(i) / 8)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range random {
		v = append(v, r.Uint32())
	}
	return v
}

// The client formats numbers (set-num, set-xy) exactly as wire.FormatNum
// does, so that the DOM built from patches equals a keyframe's. The
// client's own fmtNum runs in Node on the same bit patterns.
func TestFmtNumMatchesGo(t *testing.T) {
	t.Parallel()
	node, _ := peers.Node(t)
	js, err := clientjs.FmtNum()
	if err != nil {
		t.Fatal(err)
	}
	random := 1 << 20
	if testing.Short() {
		random = 1 << 14
	}
	vals := fmtNumValues(random)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.txt")
	var sb strings.Builder
	for _, b := range vals {
		fmt.Fprintf(&sb, "%08x\n", b)
	}
	if err := os.WriteFile(in, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "fmt.js")
	js += `
const fs = require("fs");
const f32 = new Float32Array(1), u32 = new Uint32Array(f32.buffer);
const out = [];
for (const line of fs.readFileSync(process.argv[2], "utf8").split("\n")) {
	if (line === "") continue;
	u32[0] = parseInt(line, 16);
	out.push(fmtNum(f32[0]));
}
process.stdout.write(out.join("\n") + "\n");
`
	if err := os.WriteFile(script, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, script, in)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	i, bad := 0, 0
	for sc.Scan() {
		if i >= len(vals) {
			t.Fatalf("node wrote more than %d lines", len(vals))
		}
		f := math.Float32frombits(vals[i])
		if want := wire.FormatNum(f); sc.Text() != want {
			bad++
			if bad <= 20 {
				t.Errorf("fmtNum(%g) (bits %08x) = %q, wire.FormatNum: %q", f, vals[i], sc.Text(), want)
			}
		}
		i++
	}
	if i != len(vals) {
		t.Fatalf("node wrote %d lines for %d values", i, len(vals))
	}
	if bad > 0 {
		t.Errorf("%d of %d values differ", bad, len(vals))
	}
}

package link_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestChildDependencies keeps a scene built for the front (the
// vizserve_child tag) small, so that it links fast on every save: neither
// the root package nor any example scene may link net/http, crypto/tls,
// the ws or server packages, or NATS.
func TestChildDependencies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	const root = "github.com/vizserve/vizserve"
	out, err := exec.Command("go", "list", "-tags", "vizserve_child", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "../..", "../../examples/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	scenes := 0
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		pkg, deps := f[0], f[1:]
		if pkg != root && !slices.Contains(deps, root) {
			continue // not a scene: a websocket or server example
		}
		scenes++
		for _, d := range deps {
			switch {
			case d == "net/http", d == "crypto/tls",
				d == root+"/ws", d == root+"/server",
				strings.HasPrefix(d, "github.com/nats-io/"):
				t.Errorf("%s built with -tags vizserve_child links %s", pkg, d)
			}
		}
	}
	if scenes < 4 {
		t.Fatalf("only %d scene packages listed (the root and the scene examples):\n%s", scenes, out)
	}
}

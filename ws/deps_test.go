package ws

import (
	"os/exec"
	"strings"
	"testing"
)

// TestStandardLibraryOnly keeps package ws free of other modules: it
// imports the standard library and its own internal packages, nothing else.
func TestStandardLibraryOnly(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/vizserve/vizserve/ws" && !strings.HasPrefix(p, "github.com/vizserve/vizserve/ws/internal/") {
			t.Errorf("ws depends on %s", p)
		}
	}
}

package scene_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPureDependencies keeps package scene and its subpackages (wire,
// scenetest) pure: no network, no HTTP, no websocket package, and no
// dependency outside the standard library but svgo and the module's pure
// internal packages, which it checks too. It lists transitive imports with go list, in the spirit
// of tailscale's tstest/deptest.
func TestPureDependencies(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	pure := map[string]bool{
		"github.com/vizserve/vizserve/internal/svgx":      true,
		"github.com/vizserve/vizserve/internal/stream":    true,
		"github.com/vizserve/vizserve/internal/scenehook": true,
	}
	for _, pkg := range []string{".", "./wire", "./scenetest", "../internal/svgx", "../internal/stream", "../internal/scenehook"} {
		out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", pkg, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 5 {
			t.Fatalf("go list -deps %s listed only %v", pkg, deps)
		}
		for _, d := range deps {
			first := strings.Split(d, "/")[0]
			switch {
			case d == "net" || strings.HasPrefix(d, "net/"):
				t.Errorf("%s imports %s (transitively): scene must not touch the network", pkg, d)
			case d == "github.com/vizserve/vizserve/ws" || strings.HasPrefix(d, "github.com/vizserve/vizserve/ws/"):
				t.Errorf("%s imports the ws package", pkg)
			case d == "github.com/vizserve/vizserve/server" || strings.HasPrefix(d, "github.com/vizserve/vizserve/server/"):
				t.Errorf("%s imports the server package", pkg)
			case strings.Contains(first, ".") && !strings.HasPrefix(d, "github.com/vizserve/vizserve/scene") && !pure[d] && d != "github.com/ajstarks/svgo":
				t.Errorf("%s depends on %s: only the standard library and svgo are allowed", pkg, d)
			}
		}
	}
}

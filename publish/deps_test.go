package publish_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestChildLinksNoNATS: a scene that publishes, built for the front (the
// vizserve_child tag), links no NATS, as internal/link's
// TestChildDependencies demands of every scene; built on its own it does.
func TestChildLinksNoNATS(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("the go command is not on PATH")
	}
	for _, tags := range []string{"vizserve_child", ""} {
		out, err := exec.Command("go", "list", "-tags", tags, "-deps", ".").CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		links := strings.Contains(string(out), "github.com/nats-io/")
		if links != (tags == "") {
			t.Errorf("built with tags %q, links NATS: %v", tags, links)
		}
	}
}

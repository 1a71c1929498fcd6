package main

import (
	"context"
	_ "embed"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"

	"github.com/vizserve/vizserve/internal/dev/build"
)

//go:embed template/scene.go.tmpl
var sceneTemplate string

const gitignore = "# the program go build makes\n/%s\n"

// runInit is `vizserve init [DIR]`: a new project, ready to serve.
func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 1 || (len(args) == 1 && strings.HasPrefix(args[0], "-")) {
		fmt.Fprintln(stderr, "vizserve: usage: vizserve init [DIR]")
		return errUsage
	}
	dir := "."
	if len(args) == 1 {
		dir = args[0]
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return err
	}
	name := projectName(filepath.Base(abs))
	files := map[string]string{
		"scene.go":   "",
		".gitignore": fmt.Sprintf(gitignore, name),
	}
	var sb strings.Builder
	if err := template.Must(template.New("scene").Parse(sceneTemplate)).Execute(&sb, struct{ Name string }{name}); err != nil {
		return err
	}
	files["scene.go"] = sb.String()
	for _, f := range []string{"go.mod", "scene.go"} {
		if _, err := os.Stat(filepath.Join(abs, f)); err == nil {
			return fmt.Errorf("%s already has a %s: vizserve init starts a new project in an empty directory or a new one", dir, f)
		}
	}
	for f, content := range files {
		p := filepath.Join(abs, f)
		if _, err := os.Stat(p); err == nil {
			continue // keep a .gitignore that is there
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "vizserve: writing go.mod for module %s…\n", name)
	if err := build.WriteModule(ctx, abs, name); err != nil {
		return err
	}
	next := "vizserve " + dir
	if dir == "." {
		next = "vizserve ."
	}
	fmt.Fprintf(stdout, "vizserve: created %s (go.mod, go.sum, scene.go, .gitignore)\nnext:\n  %s\nthen open the URL it prints, and edit scene.go: every save shows in the page.\n", dir, next)
	return nil
}

var notName = regexp.MustCompile(`[^a-z0-9._-]+`)

// projectName makes a module path (and title) from a directory name.
func projectName(base string) string {
	n := strings.Trim(notName.ReplaceAllString(strings.ToLower(base), "-"), "-.")
	if n == "" {
		return "scene"
	}
	return n
}

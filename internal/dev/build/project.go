package build

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// WriteModule writes, in dir, the go.mod and go.sum of a new module named
// modulePath that requires the vizserve this program was built from (a
// replace to its source checkout, if it was built from one), then lets the
// go command complete them (go mod tidy): with the person's own settings
// first, which may reach a module proxy, and else from the module cache
// alone. It refuses to overwrite a go.mod.
func WriteModule(ctx context.Context, dir, modulePath string) error {
	gomod := filepath.Join(dir, "go.mod")
	if _, err := os.Stat(gomod); err == nil {
		return fmt.Errorf("%s already exists", gomod)
	}
	src, err := FindSource()
	if err != nil {
		return err
	}
	var vizMod string
	var sum []byte
	version := "v0.0.0-00010101000000-000000000000"
	if src.Dir != "" {
		vizMod = filepath.Join(src.Dir, "go.mod")
		sum, _ = os.ReadFile(filepath.Join(src.Dir, "go.sum"))
	} else {
		version = src.Version
	}
	goVersion := "1.26.0"
	if vizMod != "" {
		m, err := readGoMod(ctx, vizMod)
		if err != nil {
			return err
		}
		goVersion = m.Go
	}
	var b strings.Builder
	fmt.Fprintf(&b, "module %s\n\ngo %s\n\nrequire %s %s\n", modulePath, goVersion, ModulePath, version)
	if src.Dir != "" {
		// vizserve is not in a public module proxy: the module builds
		// against the source it was made from.
		fmt.Fprintf(&b, "\nreplace %s => %s\n", ModulePath, src.Dir)
	}
	if err := os.WriteFile(gomod, []byte(b.String()), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		return err
	}
	tidy := func(env ...string) error {
		cmd := exec.CommandContext(ctx, "go", "mod", "tidy")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("go mod tidy: %v\n%s", err, strings.TrimSpace(string(out)))
		}
		return nil
	}
	err = tidy()
	if err != nil && ctx.Err() == nil {
		if err2 := tidy("GOPROXY=off", "GOFLAGS=-mod=mod"); err2 == nil {
			return nil
		}
	}
	if err != nil {
		return errors.Join(errors.New("the module is written but incomplete: run go mod tidy in "+dir+" once the network is there"), err)
	}
	return nil
}

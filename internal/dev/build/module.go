package build

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// ModulePath is the module vizserve is built from.
const ModulePath = "github.com/vizserve/vizserve"

// Source says where the vizserve module that a lone scene builds against
// comes from.
type Source struct {
	// Dir is a source checkout (go.mod at its root), used through a
	// replace directive; or "".
	Dir string
	// Version is the version in the module cache, when Dir is "".
	Version string
}

// FindSource finds the vizserve this program was built from: the source
// checkout it was compiled in, if that is still on disk, else the version
// its build information names (installed with go install ...@version).
func FindSource() (Source, error) {
	if dir := os.Getenv("VIZSERVE_SOURCE"); dir != "" {
		return Source{Dir: dir}, nil
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		// .../internal/dev/build/module.go → the module root.
		root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", "..", ".."))
		if data, err := os.ReadFile(filepath.Join(root, "go.mod")); err == nil && modulePathOf(data) == ModulePath {
			return Source{Dir: root}, nil
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		v := ""
		if bi.Main.Path == ModulePath {
			v = bi.Main.Version
		}
		for _, d := range bi.Deps {
			if d.Path == ModulePath {
				v = d.Version
				if d.Replace != nil && d.Replace.Version == "" {
					return Source{Dir: d.Replace.Path}, nil
				}
			}
		}
		if v != "" && v != "(devel)" {
			return Source{Version: v}, nil
		}
	}
	return Source{}, errors.New("cannot tell which vizserve this program was built from (no source checkout, no version in its build information): put the scene in a module that requires github.com/vizserve/vizserve, or set VIZSERVE_SOURCE to a vizserve source directory")
}

func modulePathOf(gomod []byte) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// writeLoneModule writes, in dir, a go.mod and go.sum for a scene alone in
// sceneDir, and an overlay file that lays them over sceneDir. It returns
// the overlay's path.
func writeLoneModule(ctx context.Context, sceneDir, dir string) (string, error) {
	src, err := FindSource()
	if err != nil {
		return "", err
	}
	var vizMod string // vizserve's own go.mod
	var sum []byte
	version := "v0.0.0-00010101000000-000000000000"
	if src.Dir != "" {
		vizMod = filepath.Join(src.Dir, "go.mod")
		sum, _ = os.ReadFile(filepath.Join(src.Dir, "go.sum"))
	} else {
		version = src.Version
		cache, err := goOutput(ctx, "", nil, "env", "GOMODCACHE")
		if err != nil {
			return "", err
		}
		modDir := filepath.Join(cache, ModulePath+"@"+version)
		vizMod = filepath.Join(modDir, "go.mod")
		if sum, err = os.ReadFile(filepath.Join(modDir, "go.sum")); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
		own, err := ownSums(cache, version)
		if err != nil {
			return "", fmt.Errorf("vizserve %s is not in the module cache (%w): run go mod download %s@%s", version, err, ModulePath, version)
		}
		sum = append(sum, own...)
	}
	m, err := readGoMod(ctx, vizMod)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "// A temporary module for a scene with no go.mod of its own, made by vizserve.\nmodule vizscene\n\ngo %s\n\nrequire (\n\t%s %s\n", m.Go, ModulePath, version)
	for _, r := range m.Require {
		fmt.Fprintf(&b, "\t%s %s\n", r.Path, r.Version)
	}
	b.WriteString(")\n")
	if src.Dir != "" {
		fmt.Fprintf(&b, "\nreplace %s => %s\n", ModulePath, src.Dir)
	}
	gomod, gosum := filepath.Join(dir, "go.mod"), filepath.Join(dir, "go.sum")
	if err := os.WriteFile(gomod, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	if err := os.WriteFile(gosum, sum, 0o600); err != nil {
		return "", err
	}
	ov, err := json.Marshal(map[string]map[string]string{"Replace": {
		filepath.Join(sceneDir, "go.mod"): gomod,
		filepath.Join(sceneDir, "go.sum"): gosum,
	}})
	if err != nil {
		return "", err
	}
	overlay := filepath.Join(dir, "overlay.json")
	return overlay, os.WriteFile(overlay, ov, 0o600)
}

// ownSums returns the go.sum lines of vizserve itself at version, from the
// module cache's download directory: the zip's hash (recorded there) and
// the go.mod's (computed as the go command does, dirhash.Hash1).
func ownSums(cache, version string) ([]byte, error) {
	dl := filepath.Join(cache, "cache", "download", ModulePath, "@v")
	zh, err := os.ReadFile(filepath.Join(dl, version+".ziphash"))
	if err != nil {
		return nil, err
	}
	mod, err := os.ReadFile(filepath.Join(dl, version+".mod"))
	if err != nil {
		return nil, err
	}
	fh := sha256.Sum256(mod)
	h := sha256.New()
	fmt.Fprintf(h, "%x  %s\n", fh, "go.mod")
	modHash := "h1:" + base64.StdEncoding.EncodeToString(h.Sum(nil))
	return fmt.Appendf(nil, "%s %s %s\n%s %s/go.mod %s\n", ModulePath, version, strings.TrimSpace(string(zh)), ModulePath, version, modHash), nil
}

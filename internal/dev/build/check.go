package build

import (
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// Mistakes people make when they point vizserve at a program, which the go
// command reports late, obscurely or not at all: a package that is not
// main (go build -o writes an archive, which then cannot be run), two
// files of a directory that each declare main, an import that a lone
// scene cannot fetch. Each gets one line that names the problem and the
// fix.

// importPkg reads the program's files as the go command would: the named
// files (whatever their build constraints, as for `go run scene.go`), or
// the directory's package, with the child's build tag.
func (b *Builder) importPkg() (*build.Package, error) {
	ctx := build.Default
	ctx.BuildTags = append(slices.Clip(ctx.BuildTags), ChildTag)
	if files := b.t.Files; files != nil {
		ctx.UseAllFiles = true
		ctx.ReadDir = func(dir string) ([]fs.FileInfo, error) {
			var fis []fs.FileInfo
			for _, f := range files {
				fi, err := os.Stat(filepath.Join(dir, f))
				if err != nil {
					return nil, err
				}
				fis = append(fis, fi)
			}
			return fis, nil
		}
	}
	return ctx.ImportDir(b.t.Dir, build.ImportComment)
}

// check returns an *Error for a program that is not one: not package main,
// or with two files that declare func main. Anything else it cannot read
// is left to the go command, whose messages say it well.
func (b *Builder) check() error {
	pkg, err := b.importPkg()
	if err != nil {
		return nil
	}
	if pkg.Name != "main" {
		where := b.show(".")
		if len(pkg.GoFiles) > 0 {
			where = b.show(pkg.GoFiles[0])
		}
		return &Error{Output: fmt.Sprintf("%s: package %s is not a program: a scene is package main, with a func main that ends with vizserve.Run(s, nil)", where, pkg.Name)}
	}
	fset := token.NewFileSet()
	var mains []string
	for _, f := range pkg.GoFiles {
		af, err := parser.ParseFile(fset, filepath.Join(b.t.Dir, f), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil
		}
		for _, d := range af.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.Name == "main" {
				mains = append(mains, f)
			}
		}
	}
	if len(mains) == 0 && b.t.Files != nil {
		// A file of a package whose main is in another file.
		return &Error{Output: fmt.Sprintf("%s declares no func main: name the file that does, or the directory to serve its package (vizserve %s)",
			strings.Join(showAll(b, pkg.GoFiles), ", "), b.dirPath())}
	}
	if len(mains) > 1 {
		return &Error{Output: fmt.Sprintf("%s and %s both declare func main: name one file to serve it alone (vizserve %s), or move the other to a directory of its own",
			b.show(mains[0]), b.show(mains[1]), b.runPath(mains[0]))}
	}
	return nil
}

// show names file f of the scene's directory as the person sees it.
func (b *Builder) show(f string) string {
	if f == "." {
		if b.display == "" {
			return "."
		}
		return strings.TrimSuffix(b.display, string(filepath.Separator))
	}
	return b.display + f
}

func showAll(b *Builder, files []string) []string {
	var out []string
	for _, f := range files {
		out = append(out, b.show(f))
	}
	return out
}

// dirPath is the scene's directory as an argument of vizserve.
func (b *Builder) dirPath() string {
	if b.display == "" {
		return "."
	}
	if d := b.show("."); strings.HasPrefix(d, ".") || filepath.IsAbs(d) {
		return d
	}
	return "." + string(filepath.Separator) + b.show(".")
}

// runPath is file f as an argument of vizserve: ./f in the working
// directory (a bare name could be taken for a package path).
func (b *Builder) runPath(f string) string {
	if b.display == "" {
		return "." + string(filepath.Separator) + f
	}
	return b.display + f
}

// unfetchableRE matches the go command's words for an import that no
// module it has provides, when it may not look for one.
var unfetchableRE = regexp.MustCompile(`^(.+?\.go):\d+:\d+: cannot find module providing package (\S+): module lookup disabled by GOPROXY=off`)

// unfetchable turns go build's complaint about the imports a lone scene
// cannot have into what to do about it; "" if out is about something
// else.
func (b *Builder) unfetchable(out string) string {
	var file string
	var paths []string
	for _, l := range strings.Split(out, "\n") {
		m := unfetchableRE.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		if file == "" {
			file = m[1]
		}
		if !slices.Contains(paths, m[2]) {
			paths = append(paths, m[2])
		}
	}
	if paths == nil {
		return ""
	}
	dir := "this directory"
	if b.display != "" {
		dir = b.show(".")
	}
	return fmt.Sprintf("%s imports %s, which vizserve cannot fetch for a scene outside a module: run `go mod init scene && go mod tidy` in %s, and vizserve builds it in that module",
		file, strings.Join(paths, " and "), dir)
}

// Package clientjs bundles pieces of the browser client (web/client/*.ts)
// for tests and benchmarks that run them outside the page: in Node, or
// injected into a page next to the client. It uses esbuild's Go API, as
// the asset build does, so the code that runs is the client's own.
package clientjs

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
	"github.com/vizserve/vizserve/internal/testkit/peers"
)

// Bundle bundles entry, TypeScript that imports from the client's modules
// ("./wire"), into a script that assigns entry's exports to the global
// variable global.
func Bundle(entry, global string) (string, error) {
	root, err := peers.ModuleRoot()
	if err != nil {
		return "", err
	}
	r := api.Build(api.BuildOptions{
		Stdin: &api.StdinOptions{
			Contents:   entry,
			ResolveDir: filepath.Join(root, "web", "client"),
			Sourcefile: "entry.ts",
			Loader:     api.LoaderTS,
		},
		Bundle:     true,
		Format:     api.FormatIIFE,
		GlobalName: global,
		Target:     api.ES2020,
		Write:      false,
	})
	if len(r.Errors) > 0 {
		var msgs []string
		for _, m := range r.Errors {
			msgs = append(msgs, m.Text)
		}
		return "", fmt.Errorf("clientjs: bundle: %s", strings.Join(msgs, "; "))
	}
	if len(r.OutputFiles) != 1 {
		return "", errors.New("clientjs: bundle: no output")
	}
	return string(r.OutputFiles[0].Contents), nil
}

// FmtNum is a script that defines the client's number formatter as the
// global function fmtNum (wire.ts fmtNum, wire.FormatNum's twin).
func FmtNum() (string, error) {
	js, err := Bundle(`export { fmtNum } from "./wire";`, "vzClientFmt")
	if err != nil {
		return "", err
	}
	return js + "\nvar fmtNum = vzClientFmt.fmtNum;\n", nil
}

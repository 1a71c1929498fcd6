// Package peers finds and runs the independent programs that tests talk to:
// Python's websockets, Node's ws and (through package browser) Chromium.
//
//	py := peers.Python(t)        // skips (or fails) when it is missing
//	p := peers.Run(t, exec.Command(py, "echo_server.py"))
//	line, err := p.Line(ctx)     // the script's first line of output
//
// # Missing peers
//
// A test whose peer is not installed is skipped with a message that says
// what to install, so `go test ./...` passes on a bare machine. When the
// environment variable VIZSERVE_REQUIRE_PEERS is set to 1 (as in CI), a
// missing peer fails the test instead: there, a skipped interop test would
// hide a broken setup.
//
// # Processes
//
// Start runs a program in its own process group, with the dev loop's
// supervisor (package internal/supervise). Kill ends the whole group
// (the program and everything it started) and waits for it; on Linux the
// group leader also dies with the test binary, so an interrupted run leaves
// no peers behind.
package peers

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// EnvRequire names the environment variable that turns a missing peer into a
// test failure. Any value strconv.ParseBool reads as true counts.
const EnvRequire = "VIZSERVE_REQUIRE_PEERS"

// Environment variables that override where peers are looked for.
const (
	// EnvPython is the Python interpreter to use. Default: /usr/bin/python3,
	// the interpreter Debian's python3-websockets installs into.
	EnvPython = "VIZSERVE_PYTHON"
	// EnvNodeModules is the node_modules directory holding the ws package.
	// Default: .cache/node/node_modules under the module root.
	EnvNodeModules = "VIZSERVE_NODE_MODULES"
)

// DefaultPython is the interpreter that has Debian's websockets package.
const DefaultPython = "/usr/bin/python3"

// Required reports whether missing peers must fail tests rather than skip
// them.
func Required() bool {
	v, err := strconv.ParseBool(os.Getenv(EnvRequire))
	return err == nil && v
}

// Unavailable ends a test whose peer is missing: it skips t with the
// message, or fails it when Required. msg should say what to install.
func Unavailable(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s (required because %s=%s)", msg, EnvRequire, os.Getenv(EnvRequire))
	}
	t.Skip(msg)
}

// Python returns the path of a Python interpreter that can import
// websockets (version 10 or later), or ends the test with Unavailable.
func Python(t testing.TB) string {
	t.Helper()
	py, err := FindPython()
	if err != nil {
		Unavailable(t, err.Error())
	}
	return py
}

// Node returns the path of node and of the node_modules directory holding
// the ws package (to be put in NODE_PATH), or ends the test with
// Unavailable.
func Node(t testing.TB) (node, nodeModules string) {
	t.Helper()
	node, mods, err := FindNode()
	if err != nil {
		Unavailable(t, err.Error())
	}
	return node, mods
}

var (
	pythonOnce sync.Once
	pythonPath string
	pythonErr  error

	nodeOnce sync.Once
	nodePath string
	nodeMods string
	nodeErr  error
)

// FindPython looks for a Python interpreter with the websockets package:
// $VIZSERVE_PYTHON, else /usr/bin/python3. Its error says what to install.
// The answer is computed once per process.
func FindPython() (string, error) {
	pythonOnce.Do(func() { pythonPath, pythonErr = findPython() })
	return pythonPath, pythonErr
}

func findPython() (string, error) {
	py := os.Getenv(EnvPython)
	if py == "" {
		py = DefaultPython
	}
	if _, err := os.Stat(py); err != nil {
		return "", fmt.Errorf("python3 not found at %s: apt-get install python3 python3-websockets", py)
	}
	out, err := exec.Command(py, "-c", "from websockets.version import version; print(version)").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("python websockets not importable by %s (%v: %s): apt-get install python3-websockets", py, err, firstLine(out))
	}
	v := strings.TrimSpace(string(out))
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err != nil || n < 10 {
		return "", fmt.Errorf("python websockets %s under %s is too old (need 10 or later): apt-get install python3-websockets", v, py)
	}
	return py, nil
}

// FindNode looks for node on PATH and for the ws package in
// $VIZSERVE_NODE_MODULES, else in .cache/node/node_modules under the module
// root. Its error says what to install. The answer is computed once per
// process.
func FindNode() (node, nodeModules string, err error) {
	nodeOnce.Do(func() { nodePath, nodeMods, nodeErr = findNode() })
	return nodePath, nodeMods, nodeErr
}

func findNode() (string, string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", "", errors.New("node not found on PATH: apt-get install nodejs npm")
	}
	mods := os.Getenv(EnvNodeModules)
	install := "npm install --prefix <dir> ws@8, with <dir>/node_modules in $" + EnvNodeModules
	if mods == "" {
		root, err := ModuleRoot()
		if err != nil {
			return "", "", fmt.Errorf("node package ws: %v", err)
		}
		mods = filepath.Join(root, ".cache", "node", "node_modules")
		install = "npm install --prefix " + filepath.Join(root, ".cache", "node") + " ws@8"
	}
	cmd := exec.Command(node, "-e", "process.stdout.write(require('ws/package.json').version)")
	cmd.Env = append(os.Environ(), "NODE_PATH="+mods)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", "", fmt.Errorf("node package ws not found in %s: %s", mods, install)
	}
	v := strings.TrimSpace(string(out))
	major, _, _ := strings.Cut(v, ".")
	if n, err := strconv.Atoi(major); err != nil || n < 8 {
		return "", "", fmt.Errorf("node package ws %s in %s is too old (need 8): %s", v, mods, install)
	}
	return node, mods, nil
}

// ModuleRoot returns the directory holding go.mod, found by walking up from
// the working directory (a package directory, under go test).
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod in the working directory or above it")
		}
		dir = parent
	}
}

func firstLine(b []byte) string {
	line, _, _ := bytes.Cut(bytes.TrimSpace(b), []byte("\n"))
	return string(line)
}

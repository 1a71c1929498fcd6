package stream

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vizserve/vizserve/internal/testkit/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

func equal[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %#v\n want %#v", what, got, want)
	}
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestSeedCorpus: FuzzMirrorApply's committed seeds are the batches that
// package wire seeds FuzzDecodeBatch with (its TestSeedCorpus -update
// writes those); copy them over when they change.
func TestSeedCorpus(t *testing.T) {
	t.Parallel()
	want, _ := filepath.Glob(filepath.Join("..", "..", "scene", "wire", "testdata", "fuzz", "FuzzDecodeBatch", "seed*"))
	got, _ := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzMirrorApply", "seed*"))
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("%d seeds for FuzzMirrorApply, %d for wire's FuzzDecodeBatch", len(got), len(want))
	}
	for i := range want {
		a, err := os.ReadFile(want[i])
		noErr(t, err)
		b, err := os.ReadFile(got[i])
		noErr(t, err)
		if filepath.Base(want[i]) != filepath.Base(got[i]) || string(a) != string(b) {
			t.Errorf("%s differs from %s: copy wire's seeds over", got[i], want[i])
		}
	}
}

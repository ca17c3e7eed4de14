package roster

import (
	"go/build"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRosterIsPure keeps the domain pure: roster imports only the
// standard library and procsync's safetext, never a client, the journal or
// anything else that does I/O on procsync's behalf.
func TestRosterIsPure(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range f.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			switch {
			case path == "procsync/internal/safetext":
			case first == "procsync":
				t.Errorf("%s imports %s: roster is the pure domain; move the code that needs it to sync/provision", name, path)
			case strings.Contains(first, "."):
				t.Errorf("%s imports %s: roster imports only the standard library", name, path)
			}
		}
	}
}

// TestSyncIsAFolderOfPackages checks sync/ holds no code of its own and
// that none of its packages is named like a standard one, which would make
// every file that needs both alias one of them.
func TestSyncIsAFolderOfPackages(t *testing.T) {
	if own, _ := filepath.Glob(filepath.Join("..", "*.go")); len(own) > 0 {
		t.Errorf("sync/ holds %v: put the code in one of its packages", own)
	}
	dirs, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	paths := []string{".."}
	for _, d := range dirs {
		if d.IsDir() {
			paths = append(paths, filepath.Join("..", d.Name()))
		}
	}
	for _, dir := range paths {
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			continue // no Go files
		}
		if std, err := build.Import(pkg.Name, "", build.FindOnly); err == nil && std.Goroot {
			t.Errorf("%s is package %s, the name of a standard package: rename it", filepath.ToSlash(filepath.Join("sync", dir[2:])), pkg.Name)
		}
	}
}

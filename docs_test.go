package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Code comments cite only files inside the repository: every
// "docs/NAME.md §N" names a file and a section that exist, and nothing
// cites a notes file by a path outside the repository.
func TestCommentsCiteRepositoryFiles(t *testing.T) {
	cite := regexp.MustCompile(`(\S*)(AWS-NOTES\.md|DESIGN\.md|ARCHITECTURE\.md)(?: §(\d+))?`)
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != "." && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".tf") && filepath.Base(path) != "Dockerfile" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range cite.FindAllStringSubmatch(string(data), -1) {
			if strings.Contains(m[0], "%") || strings.Contains(m[1], `"`) {
				continue // a format string or this test's own pattern
			}
			prefix := strings.TrimLeft(m[1], "(`[")
			if prefix != "docs/" {
				t.Errorf("%s cites %q: cite docs/%s (a repository path)", path, m[0], m[2])
				continue
			}
			doc, err := os.ReadFile(filepath.Join("docs", m[2]))
			if err != nil {
				t.Errorf("%s cites %s, which does not exist", path, m[0])
				continue
			}
			if m[3] != "" && !strings.Contains(string(doc), "\n## §"+m[3]+" ") {
				t.Errorf("%s cites %s, which has no section §%s", path, m[0], m[3])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

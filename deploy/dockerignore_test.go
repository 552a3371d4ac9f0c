package deploy_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// dockerignorePatterns returns the patterns of an ignore file: comments and
// blank lines dropped, leading "/" removed as Docker does.
func dockerignorePatterns(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.TrimPrefix(line, "/"))
	}
	return out
}

// ignored reports whether a context path is excluded, for the pattern forms
// these files use: "**/" matches any number of leading directories, other
// patterns match the whole path with filepath.Match, and an excluded
// directory excludes everything below it. No pattern uses "!".
func ignored(patterns []string, path string) bool {
	for _, p := range patterns {
		for cand := path; cand != "."; cand = filepath.Dir(cand) {
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				if ok, _ := filepath.Match(rest, filepath.Base(cand)); ok {
					return true
				}
			} else if ok, _ := filepath.Match(p, cand); ok {
				return true
			}
		}
	}
	return false
}

// The image builds its own binary, so build and test output in a working
// tree (a 17 MB monitor.test once got committed) must not be sent as build
// context; BuildKit (deploy/Dockerfile.dockerignore) and the classic
// builder (.dockerignore at the context root) must agree.
func TestDockerContextExcludesBuildOutput(t *testing.T) {
	buildkit := dockerignorePatterns(t, "Dockerfile.dockerignore")
	classic := dockerignorePatterns(t, filepath.Join("..", ".dockerignore"))
	if strings.Join(buildkit, "\n") != strings.Join(classic, "\n") {
		t.Errorf("deploy/Dockerfile.dockerignore and .dockerignore differ:\n%q\n%q", buildkit, classic)
	}
	for _, path := range []string{
		"ecs-cron-monitor",
		"monitor.test",
		"monitor/monitor.test",
		"cover.out",
		"internal/daemon/cpu.prof",
		"deploy/terraform/terraform.tfstate",
		".git/HEAD",
	} {
		if !ignored(buildkit, path) {
			t.Errorf("%s is sent as build context", path)
		}
	}
	for _, path := range []string{"main.go", "go.mod", "monitor/poller.go", "deploy/config.toml", "testdata/events/stopped-oom-137.json"} {
		if ignored(buildkit, path) {
			t.Errorf("%s is excluded from the build context; the image needs it", path)
		}
	}
}

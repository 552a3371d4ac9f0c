package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// dockerfileRun returns the RUN instruction of deploy/Dockerfile that
// contains `go build`, with line continuations joined.
func dockerfileRun(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "RUN ") && strings.Contains(line, "go build") {
			return strings.TrimSpace(strings.TrimPrefix(line, "RUN "))
		}
	}
	t.Fatal("no RUN ... go build instruction in deploy/Dockerfile")
	return ""
}

// shellWords splits a command line the way sh does for the simple forms the
// Dockerfile uses: blanks separate words, double quotes group them.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted = !quoted
			inWord = true
		case (r == ' ' || r == '\t') && !quoted:
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// buildCommand extracts the environment and go build flags of the
// Dockerfile, with VERSION=test and the output redirected to out.
func buildCommand(t *testing.T, out string) (env, args []string) {
	t.Helper()
	words := shellWords(dockerfileRun(t))
	i := 0
	for ; i < len(words) && strings.Contains(words[i], "=") && !strings.HasPrefix(words[i], "-"); i++ {
		kv := words[i]
		// GOOS/GOARCH come from buildx platform args; the host's own are
		// fine for proving the flags build.
		if strings.HasPrefix(kv, "GOOS=") || strings.HasPrefix(kv, "GOARCH=") {
			continue
		}
		env = append(env, kv)
	}
	if i+1 >= len(words) || words[i] != "go" || words[i+1] != "build" {
		t.Fatalf("Dockerfile build line %q is not `ENV=... go build ...`", words)
	}
	rest := words[i+2:]
	for j := 0; j < len(rest); j++ {
		w := strings.ReplaceAll(rest[j], "${VERSION}", "test")
		if w == "-o" && j+1 < len(rest) {
			args = append(args, "-o", out)
			j++
			continue
		}
		args = append(args, w)
	}
	return env, args
}

func TestDockerfileBuildFlags(t *testing.T) {
	env, args := buildCommand(t, "/out")
	joined := strings.Join(env, " ") + " " + strings.Join(args, " ")
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w -X main.version=test", "-o /out"} {
		if !strings.Contains(joined, want) {
			t.Errorf("Dockerfile go build %q lacks %q", joined, want)
		}
	}
	if args[len(args)-1] != "." {
		t.Errorf("Dockerfile builds %q, want the repo root package \".\"", args[len(args)-1])
	}
}

// TestDockerfileBuildsRepoRoot runs the Dockerfile's exact go build against
// the repository root and checks the flags reached the binary's build info.
func TestDockerfileBuildsRepoRoot(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole daemon")
	}
	// A child process writing only to its own directory: runs beside
	// terraform validate.
	t.Parallel()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go binary on PATH")
	}
	bin := filepath.Join(t.TempDir(), "ecs-cron-monitor")
	env, args := buildCommand(t, bin)

	ctx := childContext(t, 10*time.Minute)
	cmd := exec.CommandContext(ctx, goBin, append([]string{"build"}, args...)...)
	cmd.Dir = ".." // the build context is the repository root
	// The go command needs this machine's toolchain settings (caches,
	// proxy); only the binary it builds runs in a bare environment.
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build %v in repo root: %v\n%s", args, err, stderr.String())
	}

	info, err := exec.CommandContext(ctx, goBin, "version", "-m", bin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	// With -trimpath the go command leaves -ldflags out of the build info
	// (they may hold paths), so the -X is checked by running the binary.
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath=true", "path\tgithub.com/ecs-cron-monitor/ecs-cron-monitor"} {
		if !bytes.Contains(info, []byte(want)) {
			t.Errorf("binary build info lacks %q:\n%s", want, info)
		}
	}
	version := exec.CommandContext(ctx, bin, "version")
	version.Env = testkit.BareEnv(t) // the binary runs as in the image, not with this machine's variables
	out, err := version.Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	if got := strings.TrimSpace(string(out)); got != "ecs-cron-monitor test" {
		t.Errorf("%s version = %q, want the -X main.version=test value", bin, got)
	}
}

// TestDockerfilePathsMatchTaskDefinition: the task definition's health check
// runs the binary at the path the image puts it, with the config the image
// bakes in; both sides must agree.
func TestDockerfilePathsMatchTaskDefinition(t *testing.T) {
	data, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	df := string(data)
	locals := findBlocks(moduleBodies(t), "locals")
	var binary, cfg string
	for _, l := range locals {
		if _, ok := l.Body.Attributes["binary_path"]; ok {
			binary = literalString(t, l.Body, "binary_path")
		}
		if _, ok := l.Body.Attributes["config_path"]; ok {
			cfg = literalString(t, l.Body, "config_path")
		}
	}
	if binary == "" || cfg == "" {
		t.Fatalf("locals binary_path=%q config_path=%q, want both set", binary, cfg)
	}
	for _, want := range []string{
		"COPY --from=build /out/ecs-cron-monitor " + binary + "\n",
		`ENTRYPOINT ["` + binary + `"]`,
		" " + cfg + "\n",
		`"-config", "` + cfg + `"`,
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER 65532:65532",
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// TestBakedConfigLoads: the config baked into the image by default must pass
// the daemon's own validation with the variables the module injects.
func TestBakedConfigLoads(t *testing.T) {
	env := map[string]string{
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
		"EVENTS_QUEUE_URL":  "https://sqs.ap-northeast-1.amazonaws.com/123456789012/ecs-cron-monitor-events",
		"SCHEDULER_DLQ_URL": "",
		"AWS_REGION":        "ap-northeast-1",
		"STATE_TABLE":       "ecs-cron-monitor-state",
	}
	cfg, err := config.Load("config.toml", func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("deploy/config.toml does not load: %v", err)
	}
	if cfg.Events.QueueURL != env["EVENTS_QUEUE_URL"] || cfg.Health.Listen != "127.0.0.1:8080" {
		t.Errorf("loaded config: queue %q, health %q", cfg.Events.QueueURL, cfg.Health.Listen)
	}
	if !cfg.State.Durable() || cfg.State.Table != env["STATE_TABLE"] {
		t.Errorf("loaded config: state %+v, want the module's DynamoDB table", cfg.State)
	}
	if _, err := config.Load("config.toml", func(string) (string, bool) { return "", false }); err == nil {
		t.Error("deploy/config.toml loads without SLACK_WEBHOOK_URL; the module's injection would be untested")
	}
}

package deploy_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// tfPluginDir is where this kind of machine keeps the AWS provider
// (nothing can be downloaded here): terraform init -plugin-dir uses it.
const tfPluginDir = "/opt/tf-plugins"

// TestTerraformValidate runs terraform's own checks over every module and
// example: fmt -check, then init and validate, which instantiate the
// modules (references, types, the provider's resource schemas), what the
// HCL tests beside this one cannot check. It runs offline (init from the
// local plugin directory, no backend) and is skipped where terraform or
// the provider is not installed.
func TestTerraformValidate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs terraform")
	}
	// A child process in its own directory: runs beside the Dockerfile build.
	t.Parallel()
	tf, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(tfPluginDir, "registry.terraform.io", "hashicorp", "aws")); err != nil {
		t.Skipf("no AWS provider in %s", tfPluginDir)
	}
	// Copy the module, so that .terraform and the lock file stay out of
	// the repository; deploy/config.toml comes along, as the module's
	// default configuration reads it.
	root := t.TempDir()
	dir := filepath.Join(root, "terraform")
	if err := os.CopyFS(dir, os.DirFS("terraform")); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile("config.toml"); err != nil {
		t.Fatal(err)
	} else if err := os.WriteFile(filepath.Join(root, "config.toml"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx := childContext(t, 10*time.Minute)
	tfRun := func(in string, args ...string) ([]byte, error) {
		t.Helper()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = filepath.Join(dir, in)
		cmd.Env = testkit.BareEnv(t, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		if err != nil && args[0] != "validate" {
			t.Errorf("%s: terraform %v: %v\n%s%s", in, args, err, stdout.String(), stderr.String())
		}
		return stdout.Bytes(), err
	}
	if out, err := tfRun(".", "fmt", "-check", "-recursive", "-no-color"); err != nil {
		t.Errorf("terraform fmt -check: files not formatted:\n%s", out)
	}
	for _, in := range []string{".", "modules/member", "examples/basic", "examples/multi-account"} {
		t.Run(in, func(t *testing.T) {
			if _, err := tfRun(in, "init", "-backend=false", "-input=false", "-no-color", "-plugin-dir="+tfPluginDir); err != nil {
				return
			}
			out, _ := tfRun(in, "validate", "-json", "-no-color")
			var res struct {
				Valid       bool `json:"valid"`
				Diagnostics []struct {
					Severity, Summary, Detail string
					Range                     *struct{ Filename string }
				} `json:"diagnostics"`
			}
			if err := json.Unmarshal(out, &res); err != nil {
				t.Fatalf("terraform validate -json: %v", err)
			}
			for _, d := range res.Diagnostics {
				file := ""
				if d.Range != nil {
					file = d.Range.Filename + ": "
				}
				t.Errorf("%s%s: %s: %s", file, d.Severity, d.Summary, d.Detail)
			}
			if !res.Valid {
				t.Error("terraform validate: the configuration is not valid")
			}
		})
	}
}

package deploy_test

import (
	"bytes"
	"context"
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

// TestTerraformValidate runs terraform's own validation over the example,
// which instantiates the module: references, types and the provider's
// resource schemas, which the HCL tests beside this one cannot check. It
// runs offline (init from the local plugin directory, no backend) and is
// skipped where terraform or the provider is not installed.
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
	// the repository.
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("terraform")); err != nil {
		t.Fatal(err)
	}
	example := filepath.Join(dir, "examples", "basic")
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	tfRun := func(args ...string) []byte {
		t.Helper()
		cmd := exec.CommandContext(ctx, tf, args...)
		cmd.Dir = example
		cmd.Env = testkit.BareEnv(t, "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil && args[0] != "validate" {
			t.Fatalf("terraform %v: %v\n%s%s", args, err, stdout.String(), stderr.String())
		}
		return stdout.Bytes()
	}
	tfRun("init", "-backend=false", "-input=false", "-no-color", "-plugin-dir="+tfPluginDir)
	var res struct {
		Valid       bool `json:"valid"`
		Diagnostics []struct {
			Severity, Summary, Detail string
			Range                     *struct{ Filename string }
		} `json:"diagnostics"`
	}
	if err := json.Unmarshal(tfRun("validate", "-json", "-no-color"), &res); err != nil {
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
}

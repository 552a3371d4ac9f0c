package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

const remoteConfig = `
[health]
listen = ""
[[cluster]]
name = "cron"
region = "ap-northeast-1"
`

// validate and once read the configuration from SSM Parameter Store (a
// SecureString, decrypted) and from S3, through the SDK pointed at the
// simulator by AWS_ENDPOINT_URL alone; problems cite the source as given.
func TestConfigFromSSMAndS3(t *testing.T) {
	sim := awssim.New(awssim.Options{Region: "ap-northeast-1"})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	testkit.AWSEnv(t, sim.URL())
	t.Setenv("AWS_REGION", "ap-northeast-1")
	sim.PutParameter("/ecs-cron-monitor/config", "SecureString", remoteConfig)
	sim.PutObject("configs", "prod/config.toml", []byte(remoteConfig))
	sim.PutParameter("/ecs-cron-monitor/bad", "String", "[[cluster]]\nname = \"cron\"\nregion = \"ap-northeast-1\"\ntask_limit = 0\n")
	sim.CreateCluster("cron")

	for _, ref := range []string{"ssm:/ecs-cron-monitor/config", "s3://configs/prod/config.toml"} {
		var out, errOut bytes.Buffer
		if err := run(t.Context(), []string{"validate", "-config", ref}, &out, &errOut, noEnv, nil); err != nil {
			t.Errorf("validate %s: %v\n%s", ref, err, errOut.String())
		}
		if want := ref + ": ok (1 cluster)"; !strings.Contains(out.String(), want) {
			t.Errorf("validate %s printed %q, want %q", ref, out.String(), want)
		}
		out.Reset()
		if err := run(t.Context(), []string{"once", "-config", ref, "-o", "json"}, &out, &errOut, noEnv, nil); err != nil {
			t.Errorf("once %s: %v\n%s", ref, err, errOut.String())
		}
	}
	if sim.Calls("ssm:GetParameter") != 2 || sim.Calls("s3:GetObject") != 2 {
		t.Errorf("GetParameter %d, GetObject %d calls, want 2 each", sim.Calls("ssm:GetParameter"), sim.Calls("s3:GetObject"))
	}

	for ref, want := range map[string]string{
		"ssm:/ecs-cron-monitor/bad": "ssm:/ecs-cron-monitor/bad:4: cluster[0].task_limit: must be greater than 0",
		"ssm:/nope":                 "ParameterNotFound",
		"s3://configs/nope.toml":    "NoSuchKey",
		"s3://configs":              "want s3://bucket/key",
		"ssm:":                      "want ssm:/path/to/parameter",
	} {
		var out, errOut bytes.Buffer
		err := run(t.Context(), []string{"validate", "-config", ref}, &out, &errOut, noEnv, nil)
		if code := exitCode(err, &errOut); code != 2 || !strings.Contains(errOut.String(), want) {
			t.Errorf("validate %s: exit %d, %q; want 2 and %q", ref, code, errOut.String(), want)
		}
	}
}

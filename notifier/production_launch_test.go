package notifier

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// launchProduction makes the launch_failed and fargate_quota messages the
// golden files show with the monitor's own code: Launches on the sample
// CloudTrail records of testdata/cloudtrail, through the Dispatcher, and
// the Quota watcher against the simulator's CloudWatch and Service Quotas.
func launchProduction(t *testing.T) map[string]monitor.Finding {
	t.Helper()
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 2, 0, 30, 0, time.UTC))
	out := map[string]monitor.Finding{}

	rec := &recordingNotifier{}
	d := monitor.NewDispatcher(monitor.DispatcherOptions{Notifier: rec, Now: clock.Now, RollupInterval: 10 * time.Second,
		DrainTimeout: time.Second, StormPolicy: func(string, string) (int, time.Duration) { return 5, time.Minute }})
	cl := config.Cluster{Name: "cron", Region: "ap-northeast-1"}
	l := monitor.NewLaunches(monitor.LaunchesOptions{Sink: d, Now: clock.Now,
		Clusters: []monitor.EventCluster{{Name: cl.Name, Region: cl.Region, Jobs: monitor.NewJobs(cl, config.Events{})}}})
	for name, file := range map[string]string{
		"launch_failed_fargate_quota":   "runtask-fargate-vcpu-quota.json",
		"launch_failed_invalid_subnet":  "runtask-invalid-subnet.json",
		"launch_failed_access_passrole": "runtask-access-denied-passrole.json",
	} {
		body, err := os.ReadFile(filepath.Join("..", "testdata", "cloudtrail", file))
		if err != nil {
			t.Fatal(err)
		}
		a, ok, err := monitor.ParseCloudTrailRunTask(body)
		if !ok || err != nil || a == nil {
			t.Fatalf("%s: not a launch failure (ok %v, err %v)", file, ok, err)
		}
		n := rec.delivered()
		if out, err := l.Handle(ctx, *a); err != nil || out != monitor.OutcomeAlerted {
			t.Fatalf("%s: %s, %v", file, out, err)
		}
		if rec.delivered() != n+1 {
			t.Fatalf("%s: no alert delivered", file)
		}
		out[name] = rec.last()
	}

	sim := awssim.New(awssim.Options{Now: clock.Now})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sim.Close() })
	creds := credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")
	q := monitor.NewQuota(monitor.QuotaOptions{
		Config: config.Quota{Enabled: true, WarnPercent: 80, CriticalPercent: 95, RenotifyInterval: config.Duration{Duration: time.Hour}},
		Region: sim.Region(), Now: clock.Now, Interval: time.Minute,
		CloudWatch: cloudwatch.New(cloudwatch.Options{BaseEndpoint: aws.String(sim.URL()), Region: sim.Region(),
			Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awssim.HTTPClient()}),
		ServiceQuotas: servicequotas.New(servicequotas.Options{BaseEndpoint: aws.String(sim.URL()), Region: sim.Region(),
			Credentials: creds, RetryMaxAttempts: 1, HTTPClient: awssim.HTTPClient()}),
	})
	sim.SetFargateQuota(awssim.FargateOnDemand, 40)
	step := func(name string, used float64, tr monitor.Transition) {
		t.Helper()
		sim.SetFargateBaseUsage(awssim.FargateOnDemand, used)
		fs := q.Check(ctx, clock.Add(time.Minute))
		if len(fs) != 1 || fs[0].Kind != monitor.KindFargateQuota || fs[0].Transition != tr {
			t.Fatalf("%s: quota findings %+v, want one %s", name, fs, tr)
		}
		out[name] = fs[0]
	}
	step("fargate_quota_warning_opened", 34, monitor.Opened)
	step("fargate_quota_critical_escalated", 38.5, monitor.Escalated)
	step("fargate_quota_resolved", 12, monitor.Resolved)
	return out
}

package awssim

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func TestECSClustersAndTaskDefinitions(t *testing.T) {
	clock := newSimClock()
	s := startSim(t, clock)
	c := ecsClient(s)
	ctx := context.Background()

	cr, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("cron")})
	if err != nil {
		t.Fatalf("CreateCluster: %v", err)
	}
	wantARN := "arn:aws:ecs:ap-northeast-1:123456789012:cluster/cron"
	if got := aws.ToString(cr.Cluster.ClusterArn); got != wantARN {
		t.Errorf("cluster ARN = %q, want %q", got, wantARN)
	}
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("bad name!")}); !hasCode(err, "InvalidParameterException") {
		t.Errorf("CreateCluster(bad name) error = %v, want InvalidParameterException", err)
	}

	lc, err := c.ListClusters(ctx, &ecs.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters: %v", err)
	}
	if !slices.Equal(lc.ClusterArns, []string{wantARN}) {
		t.Errorf("ListClusters = %v", lc.ClusterArns)
	}

	reg, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("billing-batch"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("billing:1"), LogConfiguration: &types.LogConfiguration{
				LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/billing"},
			}},
			{Name: aws.String("datadog-agent"), Image: aws.String("datadog/agent:7"), Essential: aws.Bool(false)},
		},
	})
	if err != nil {
		t.Fatalf("RegisterTaskDefinition: %v", err)
	}
	td := reg.TaskDefinition
	if td.Revision != 1 || aws.ToString(td.TaskDefinitionArn) != "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/billing-batch:1" {
		t.Errorf("revision %d ARN %q", td.Revision, aws.ToString(td.TaskDefinitionArn))
	}
	if len(td.ContainerDefinitions) != 2 || !aws.ToBool(td.ContainerDefinitions[0].Essential) || aws.ToBool(td.ContainerDefinitions[1].Essential) {
		t.Errorf("essential flags not as registered (default true): %+v", td.ContainerDefinitions)
	}
	if lcfg := td.ContainerDefinitions[0].LogConfiguration; lcfg == nil || lcfg.LogDriver != types.LogDriverAwslogs || lcfg.Options["awslogs-group"] != "/ecs/billing" {
		t.Errorf("logConfiguration = %+v", lcfg)
	}
	arn2, err := s.RegisterTaskDefinition("billing-batch", ContainerDef{Name: "app", Image: "billing:2"})
	if err != nil || arn2 != "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/billing-batch:2" {
		t.Fatalf("second revision = %q, %v", arn2, err)
	}
	for ref, wantImage := range map[string]string{
		"billing-batch":   "billing:2",
		"billing-batch:1": "billing:1",
		arn2:              "billing:2",
	} {
		out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		if err != nil {
			t.Errorf("DescribeTaskDefinition(%q): %v", ref, err)
			continue
		}
		if got := aws.ToString(out.TaskDefinition.ContainerDefinitions[0].Image); got != wantImage {
			t.Errorf("DescribeTaskDefinition(%q) image = %q, want %q", ref, got, wantImage)
		}
	}
	if _, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("billing-batch:9")}); !hasCode(err, "ClientException") {
		t.Errorf("unknown revision error = %v, want ClientException", err)
	}

	run, err := c.RunTask(ctx, &ecs.RunTaskInput{
		Cluster: aws.String("cron"), TaskDefinition: aws.String("billing-batch:1"),
		Count: aws.Int32(3), StartedBy: aws.String("events-rule/billing-batch-daily"),
	})
	if err != nil {
		t.Fatalf("RunTask: %v", err)
	}
	if len(run.Tasks) != 3 || len(run.Failures) != 0 {
		t.Fatalf("RunTask returned %d tasks, %d failures", len(run.Tasks), len(run.Failures))
	}
	task := run.Tasks[0]
	if aws.ToString(task.Group) != "family:billing-batch" || aws.ToString(task.LastStatus) != "PROVISIONING" ||
		aws.ToString(task.DesiredStatus) != "RUNNING" || task.LaunchType != types.LaunchTypeFargate || task.Version != 1 {
		t.Errorf("new task = group %q last %q desired %q launch %q version %d", aws.ToString(task.Group),
			aws.ToString(task.LastStatus), aws.ToString(task.DesiredStatus), task.LaunchType, task.Version)
	}
	if !aws.ToTime(task.CreatedAt).Equal(clock.Now()) {
		t.Errorf("createdAt = %v, want %v (millisecond precision kept)", aws.ToTime(task.CreatedAt), clock.Now())
	}
	for _, n := range []int32{0, 11} {
		if _, err := c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("cron"), TaskDefinition: aws.String("billing-batch"), Count: aws.Int32(n)}); !hasCode(err, "InvalidParameterException") {
			t.Errorf("RunTask(count=%d) error = %v, want InvalidParameterException", n, err)
		}
	}

	dc, err := c.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"cron", "nope"}})
	if err != nil {
		t.Fatalf("DescribeClusters: %v", err)
	}
	// The zero plan starts tasks at once: the call itself advanced them.
	if len(dc.Clusters) != 1 || dc.Clusters[0].RunningTasksCount != 3 || dc.Clusters[0].PendingTasksCount != 0 {
		t.Errorf("DescribeClusters clusters = %+v", dc.Clusters)
	}
	if len(dc.Failures) != 1 || aws.ToString(dc.Failures[0].Reason) != "MISSING" ||
		aws.ToString(dc.Failures[0].Arn) != "arn:aws:ecs:ap-northeast-1:123456789012:cluster/nope" {
		t.Errorf("DescribeClusters failures = %+v", dc.Failures)
	}
}

func TestECSListTasksPaging(t *testing.T) {
	s := startSim(t, newSimClock())
	c := ecsClient(s)
	ctx := context.Background()
	s.CreateCluster("cron")
	mustRegister(t, s, "job")
	mustRegister(t, s, "other")
	want := mustRun(t, s, "cron", "job", "events-rule/job", 250)
	others := mustRun(t, s, "cron", "other", "chronos-schedule/other", 5)
	s.ResetCalls()

	seen := map[string]int{}
	pages := 0
	p := ecs.NewListTasksPaginator(c, &ecs.ListTasksInput{Cluster: aws.String("cron"), Family: aws.String("job")})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("ListTasks page %d: %v", pages+1, err)
		}
		pages++
		for _, a := range out.TaskArns {
			seen[a]++
		}
	}
	if pages != 3 || s.Calls("ecs:ListTasks") != 3 {
		t.Errorf("pages = %d, calls = %d; want 3 and 3", pages, s.Calls("ecs:ListTasks"))
	}
	if len(seen) != len(want) {
		t.Errorf("listed %d distinct tasks, want %d", len(seen), len(want))
	}
	for _, a := range want {
		if seen[a] != 1 {
			t.Errorf("task %s listed %d times", a, seen[a])
		}
	}

	// startedBy alone is allowed and filters; with another filter it is not.
	out, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron"), StartedBy: aws.String("chronos-schedule/other")})
	if err != nil || !slices.Equal(out.TaskArns, others) {
		t.Errorf("ListTasks(startedBy) = %v, %v; want %v", out.TaskArns, err, others)
	}
	bad := []*ecs.ListTasksInput{
		{Cluster: aws.String("cron"), StartedBy: aws.String("x"), Family: aws.String("job")},
		{Cluster: aws.String("cron"), StartedBy: aws.String("x"), DesiredStatus: types.DesiredStatusStopped},
		{Cluster: aws.String("cron"), MaxResults: aws.Int32(0)},
		{Cluster: aws.String("cron"), MaxResults: aws.Int32(101)},
		{Cluster: aws.String("cron"), NextToken: aws.String("garbage!")},
	}
	for i, in := range bad {
		if _, err := c.ListTasks(ctx, in); !hasCode(err, "InvalidParameterException") {
			t.Errorf("bad ListTasks #%d error = %v, want InvalidParameterException", i, err)
		}
	}

	// Stopping tasks between pages neither repeats nor skips the others.
	first, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron"), MaxResults: aws.Int32(100)})
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	if err := s.StopTasks("cron", "cleanup", want[100:110]...); err != nil {
		t.Fatalf("StopTasks: %v", err)
	}
	listed := slices.Clone(first.TaskArns)
	for tok := first.NextToken; tok != nil; {
		out, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron"), NextToken: tok})
		if err != nil {
			t.Fatalf("ListTasks next page: %v", err)
		}
		listed, tok = append(listed, out.TaskArns...), out.NextToken
	}
	wantListed := slices.Concat(want[:100], want[110:], others)
	if !slices.Equal(listed, wantListed) {
		t.Errorf("after stopping 10 between pages: listed %d tasks, want the %d still running in creation order", len(listed), len(wantListed))
	}
	stopped, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron"), DesiredStatus: types.DesiredStatusStopped})
	if err != nil || !slices.Equal(stopped.TaskArns, want[100:110]) {
		t.Errorf("ListTasks(STOPPED) = %v, %v", stopped.TaskArns, err)
	}
}

func TestECSDescribeTasks(t *testing.T) {
	s := startSim(t, newSimClock())
	c := ecsClient(s)
	ctx := context.Background()
	s.CreateCluster("cron")
	s.CreateCluster("other")
	mustRegister(t, s, "job")
	arns := mustRun(t, s, "cron", "job", "events-rule/job", 100)
	elsewhere := mustRun(t, s, "other", "job", "", 1)[0]

	// 98 known (one as a bare ID), one of another cluster, one never existed.
	ids := slices.Clone(arns[:98])
	ids[0] = arns[0][len(arns[0])-32:]
	unknown := "arn:aws:ecs:ap-northeast-1:123456789012:task/cron/00000000000000000000000000000000"
	ids = append(ids, elsewhere, unknown)
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("cron"), Tasks: ids})
	if err != nil {
		t.Fatalf("DescribeTasks(100): %v", err)
	}
	if len(out.Tasks) != 98 {
		t.Errorf("described %d tasks, want 98", len(out.Tasks))
	}
	var missing []string
	for _, f := range out.Failures {
		if aws.ToString(f.Reason) == "MISSING" {
			missing = append(missing, aws.ToString(f.Arn))
		}
	}
	if !slices.Equal(missing, []string{elsewhere, unknown}) {
		t.Errorf("MISSING failures = %v, want the other cluster's task and the unknown one", missing)
	}
	got := out.Tasks[1]
	if aws.ToString(got.TaskArn) != arns[1] || aws.ToString(got.ClusterArn) != s.clusterARN("cron") ||
		aws.ToString(got.TaskDefinitionArn) != s.taskDefARN("job", 1) || aws.ToString(got.StartedBy) != "events-rule/job" ||
		aws.ToString(got.LastStatus) != "RUNNING" || got.StartedAt == nil || len(got.Containers) != 1 ||
		aws.ToString(got.Containers[0].TaskArn) != arns[1] || aws.ToString(got.Containers[0].Name) != "app" ||
		got.Containers[0].ExitCode != nil {
		t.Errorf("task not described as started: %+v", got)
	}

	if _, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("cron"), Tasks: append(slices.Clone(arns), unknown)}); !hasCode(err, "InvalidParameterException") {
		t.Errorf("DescribeTasks(101) error = %v, want InvalidParameterException", err)
	}
}

// A vanished task is what AWS shows of a task that is gone while the
// eventually consistent listing still has it: listed, but answered MISSING.
func TestECSVanishedTaskListedButMissing(t *testing.T) {
	s := startSim(t, newSimClock())
	c := ecsClient(s)
	ctx := context.Background()
	s.CreateCluster("cron")
	mustRegister(t, s, "job")
	arns := mustRun(t, s, "cron", "job", "", 2)
	if err := s.VanishTasks("cron", arns[0]); err != nil {
		t.Fatal(err)
	}
	lt, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron")})
	if err != nil {
		t.Fatal(err)
	}
	if len(lt.TaskArns) != 2 {
		t.Errorf("ListTasks = %v, want both tasks (the listing lags)", lt.TaskArns)
	}
	dt, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("cron"), Tasks: arns})
	if err != nil {
		t.Fatal(err)
	}
	if len(dt.Tasks) != 1 || aws.ToString(dt.Tasks[0].TaskArn) != arns[1] {
		t.Errorf("DescribeTasks tasks = %+v, want only the second", dt.Tasks)
	}
	if len(dt.Failures) != 1 || aws.ToString(dt.Failures[0].Arn) != arns[0] || aws.ToString(dt.Failures[0].Reason) != "MISSING" {
		t.Errorf("DescribeTasks failures = %+v, want the vanished task as MISSING", dt.Failures)
	}
	if err := s.VanishTasks("cron", "nope"); err == nil {
		t.Error("vanishing an unknown task: want an error")
	}
}

func TestECSClusterNotFound(t *testing.T) {
	s := startSim(t, newSimClock())
	c := ecsClient(s)
	ctx := context.Background()
	calls := map[string]func() error{
		"ListTasks": func() error {
			_, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("ghost")})
			return err
		},
		"DescribeTasks": func() error {
			_, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("ghost"), Tasks: []string{"x"}})
			return err
		},
		"RunTask (default cluster)": func() error {
			_, err := c.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("x")})
			return err
		},
	}
	for name, call := range calls {
		var nf *types.ClusterNotFoundException
		if err := call(); !errors.As(err, &nf) {
			t.Errorf("%s error = %v, want *types.ClusterNotFoundException", name, err)
		}
	}
}

func TestECSInjectedFaults(t *testing.T) {
	s := startSim(t, newSimClock())
	c := ecsClient(s)
	ctx := context.Background()
	s.CreateCluster("cron")
	s.CreateCluster("calm")

	for _, code := range []string{"AccessDeniedException", "ThrottlingException"} {
		remove := s.InjectFault(Fault{Op: "ecs:ListTasks", Cluster: "cron", Code: code, Message: "injected"})
		_, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron")})
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code {
			t.Errorf("fault %s: error = %v", code, err)
		}
		// The fault names one cluster; the other keeps working.
		if _, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("calm")}); err != nil {
			t.Errorf("fault %s leaked to another cluster: %v", code, err)
		}
		remove()
		if _, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("cron")}); err != nil {
			t.Errorf("after removing fault %s: %v", code, err)
		}
	}
	if got := s.Calls("ecs:ListTasks"); got != 6 {
		t.Errorf("ecs:ListTasks calls = %d, want 6 (failed calls count too)", got)
	}
}

// TestECSEndpointFromEnvironment points the default SDK configuration at
// the simulator only through AWS_ENDPOINT_URL, as the daemon is deployed.
func TestECSEndpointFromEnvironment(t *testing.T) {
	s := startSim(t, newSimClock())
	s.CreateCluster("cron")
	testkit.AWSEnv(t, s.URL())
	t.Setenv("AWS_REGION", "ap-northeast-1")
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatalf("load SDK config: %v", err)
	}
	out, err := ecs.NewFromConfig(cfg).ListClusters(context.Background(), &ecs.ListClustersInput{})
	if err != nil {
		t.Fatalf("ListClusters via AWS_ENDPOINT_URL: %v", err)
	}
	if !slices.Equal(out.ClusterArns, []string{s.clusterARN("cron")}) || s.Calls("ecs:ListClusters") != 1 {
		t.Errorf("ListClusters = %v (calls %d)", out.ClusterArns, s.Calls("ecs:ListClusters"))
	}
}

func mustRegister(tb testing.TB, s *Server, family string, containers ...ContainerDef) {
	tb.Helper()
	if _, err := s.RegisterTaskDefinition(family, containers...); err != nil {
		tb.Fatal(err)
	}
}

func mustRun(tb testing.TB, s *Server, cluster, family, startedBy string, n int) []string {
	tb.Helper()
	arns, err := s.RunTasks(cluster, family, startedBy, n)
	if err != nil {
		tb.Fatal(err)
	}
	return arns
}

func hasCode(err error, code string) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == code
}

func hasPrefix(s *string, prefix string) bool {
	return s != nil && len(*s) >= len(prefix) && (*s)[:len(prefix)] == prefix
}

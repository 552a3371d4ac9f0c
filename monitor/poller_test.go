package monitor

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// ecsFuncs adapts two functions to ECSAPI.
type ecsFuncs struct {
	list     func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error)
	describe func(*ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error)
}

func (f ecsFuncs) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return f.list(in)
}

func (f ecsFuncs) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	return f.describe(in)
}

func testCluster(t testing.TB) config.Cluster {
	return clusterFrom(t, "[[cluster]]\nname = \"cron\"\nregion = \"ap-northeast-1\"\ntask_limit = 10\n")
}

// A task seen while still starting is described again until it runs;
// after that it costs nothing but its place in ListTasks.
func TestPollerFollowsStartingTasksOnly(t *testing.T) {
	status := map[string]string{"arn:a": "PENDING", "arn:b": "RUNNING"}
	var described [][]string
	api := ecsFuncs{
		list: func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			return &ecs.ListTasksOutput{TaskArns: []string{"arn:a", "arn:b"}}, nil
		},
		describe: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			described = append(described, in.Tasks)
			var out ecs.DescribeTasksOutput
			for i, arn := range in.Tasks {
				out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String(status[arn]),
					Version: int64(len(described)*10 + i), Group: aws.String("family:" + arn)})
			}
			return &out, nil
		},
	}
	p := NewPoller(PollerOptions{Cluster: testCluster(t), ECS: api})
	now := time.Now()
	for i := 0; i < 3; i++ {
		if _, err := p.Poll(t.Context(), now); err != nil {
			t.Fatal(err)
		}
		status["arn:a"] = "RUNNING"
	}
	if fmt.Sprint(described) != "[[arn:a arn:b] [arn:a]]" {
		t.Errorf("described %v, want both, then only the starting one, then nothing", described)
	}
}

// A throttled poll becomes one monitor_error incident named by its AWS
// code, leaves the cluster's other incidents open, and resolves on the
// next good poll.
func TestPollerErrorIsAnIncidentOfItsOwn(t *testing.T) {
	fail := false
	api := ecsFuncs{
		list: func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			if fail {
				return nil, &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
			}
			arns := make([]string, 9)
			for i := range arns {
				arns[i] = fmt.Sprint("arn:", i)
			}
			return &ecs.ListTasksOutput{TaskArns: arns}, nil
		},
		describe: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			var out ecs.DescribeTasksOutput
			for _, arn := range in.Tasks {
				out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String("RUNNING"), Version: 1,
					Group: aws.String("family:" + arn)})
			}
			return &out, nil
		},
	}
	p := NewPoller(PollerOptions{Cluster: testCluster(t), ECS: api})
	t0 := time.Now()
	fs, _ := p.Poll(t.Context(), t0)
	if len(fs) != 1 || fs[0].Kind != KindTaskLimit || fs[0].Transition != Opened {
		t.Fatalf("first poll: %+v, want the limit warning opened", fs)
	}
	fail = true
	fs, err := p.Poll(t.Context(), t0.Add(time.Second))
	var ae smithy.APIError
	if !errors.As(err, &ae) || len(fs) != 1 || fs[0].Kind != KindMonitorError || fs[0].Transition != Opened ||
		fs[0].Message != "cannot poll: ThrottlingException: Rate exceeded" {
		t.Fatalf("failed poll: %+v (err %v), want one monitor_error opened", fs, err)
	}
	fail = false
	fs, _ = p.Poll(t.Context(), t0.Add(2*time.Second))
	if len(fs) != 1 || fs[0].Kind != KindMonitorError || fs[0].Transition != Resolved {
		t.Fatalf("recovered poll: %+v, want only the monitor_error resolved (the limit incident stays open)", fs)
	}
}

// A task that ListTasks lists but DescribeTasks answers as MISSING (gone;
// the listing is eventually consistent) is described once, counted, and
// not asked about again while it stays listed. A starting task that goes
// missing stops counting against the limit.
func TestPollerForgetsTasksDescribeTasksAnswersMissing(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 3, 9, 0, 0, 0, 0, time.UTC))
	sim, ecsc, _, _ := startSchedSim(t, clock)
	sim.CreateCluster("cron")
	if _, err := sim.RegisterTaskDefinition("etl"); err != nil {
		t.Fatal(err)
	}
	sim.SetTaskPlan("etl", awssim.TaskPlan{PendingFor: time.Second})
	running, err := sim.RunTasks("cron", "etl", "", 2)
	if err != nil {
		t.Fatal(err)
	}
	clock.Add(time.Minute)
	// Gone before the poller ever described it.
	if err := sim.VanishTasks("cron", running[0]); err != nil {
		t.Fatal(err)
	}
	cl := clusterFrom(t, "[[cluster]]\nname = \"cron\"\nregion = \""+sim.Region()+"\"\n")
	metrics := &schedMetrics{counts: map[string]int64{}, gauges: map[string]float64{}}
	p := NewPoller(PollerOptions{Cluster: cl, ECS: ecsc, Metrics: metrics, Now: clock.Now})
	sim.ResetCalls()
	for range 5 {
		if _, err := p.Poll(t.Context(), clock.Now()); err != nil {
			t.Fatal(err)
		}
		clock.Add(30 * time.Second)
	}
	if n := sim.Calls("ecs:DescribeTasks"); n != 1 {
		t.Errorf("DescribeTasks called %d times over 5 polls, want 1 (the missing task is not asked about again)", n)
	}
	if n := metrics.counts["describe.failures|cluster:cron,reason:MISSING"]; n != 1 {
		t.Errorf("describe.failures{reason:MISSING} = %d, want 1 (counts: %v)", n, metrics.counts)
	}
	if n := metrics.gauges["cluster.tasks.total|cluster:cron"]; n != 1 {
		t.Errorf("cluster.tasks.total = %v, want 1 (the missing task is not live)", n)
	}

	// A task still starting is followed by DescribeTasks; once it goes
	// missing it no longer counts.
	sim.SetTaskPlan("etl", awssim.TaskPlan{PendingFor: time.Hour})
	starting, err := sim.RunTasks("cron", "etl", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Poll(t.Context(), clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := metrics.gauges["cluster.tasks.total|cluster:cron"]; n != 2 {
		t.Fatalf("cluster.tasks.total = %v with a provisioning task, want 2", n)
	}
	if err := sim.VanishTasks("cron", starting[0]); err != nil {
		t.Fatal(err)
	}
	sim.ResetCalls()
	for range 3 {
		if _, err := p.Poll(t.Context(), clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if n := sim.Calls("ecs:DescribeTasks"); n != 1 {
		t.Errorf("DescribeTasks called %d times after the starting task went missing, want 1", n)
	}
	if n := metrics.gauges["cluster.tasks.total|cluster:cron"]; n != 1 {
		t.Errorf("cluster.tasks.total = %v, want 1 (the missing starting task is forgotten)", n)
	}
}

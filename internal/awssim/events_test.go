package awssim

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
	schtypes "github.com/aws/aws-sdk-go-v2/service/scheduler/types"
)

func eventsClient(s *Server) *eventbridge.Client {
	return eventbridge.New(eventbridge.Options{
		BaseEndpoint: aws.String(s.URL()), Region: s.Region(),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       HTTPClient(),
	})
}

func schedulerClient(s *Server) *scheduler.Client {
	return scheduler.New(scheduler.Options{
		BaseEndpoint: aws.String(s.URL()), Region: s.Region(),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       HTTPClient(),
	})
}

func TestEventBridgeRules(t *testing.T) {
	ctx := context.Background()
	s := startSim(t, newSimClock())
	eb := eventsClient(s)
	clusterARN := s.CreateCluster("batch")
	mustRegister(t, s, "report")

	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("nightly"), ScheduleExpression: aws.String("cron(0 2 * * ? *)")}); err != nil {
		t.Fatalf("PutRule: %v", err)
	}
	_, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("nightly"), Targets: []ebtypes.Target{{
		Id: aws.String("1"), Arn: aws.String(clusterARN),
		EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/report:1"), TaskCount: aws.Int32(2)},
	}}})
	if err != nil {
		t.Fatalf("PutTargets: %v", err)
	}
	s.PutScheduledRule("hourly", "rate(1 hour)", "batch", "report", 1, true)
	s.PutScheduledRule("elsewhere", "rate(1 hour)", "other", "report", 1, true)

	names, err := eb.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(clusterARN), Limit: aws.Int32(1)})
	if err != nil {
		t.Fatalf("ListRuleNamesByTarget: %v", err)
	}
	if len(names.RuleNames) != 1 || names.NextToken == nil {
		t.Fatalf("first page = %v (token %v), want 1 name and a token", names.RuleNames, names.NextToken)
	}
	rest, err := eb.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String(clusterARN), NextToken: names.NextToken})
	if err != nil {
		t.Fatalf("ListRuleNamesByTarget page 2: %v", err)
	}
	got := append(names.RuleNames, rest.RuleNames...)
	if strings.Join(got, ",") != "hourly,nightly" {
		t.Errorf("rules targeting batch = %v, want [hourly nightly]", got)
	}
	// A bare cluster name is not the target ARN.
	byName, err := eb.ListRuleNamesByTarget(ctx, &eventbridge.ListRuleNamesByTargetInput{TargetArn: aws.String("batch")})
	if err != nil || len(byName.RuleNames) != 0 {
		t.Errorf("by name = %v, %v; want none", byName.RuleNames, err)
	}

	rule, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")})
	if err != nil {
		t.Fatalf("DescribeRule: %v", err)
	}
	if aws.ToString(rule.ScheduleExpression) != "cron(0 2 * * ? *)" || rule.State != ebtypes.RuleStateEnabled ||
		aws.ToString(rule.Arn) != "arn:aws:events:ap-northeast-1:123456789012:rule/nightly" {
		t.Errorf("DescribeRule = %+v", rule)
	}
	targets, err := eb.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String("nightly")})
	if err != nil {
		t.Fatalf("ListTargetsByRule: %v", err)
	}
	if len(targets.Targets) != 1 || aws.ToInt32(targets.Targets[0].EcsParameters.TaskCount) != 2 {
		t.Errorf("targets = %+v", targets.Targets)
	}

	if _, err := eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: aws.String("nightly")}); err != nil {
		t.Fatalf("DisableRule: %v", err)
	}
	rule, _ = eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")})
	if rule.State != ebtypes.RuleStateDisabled {
		t.Errorf("state after DisableRule = %s", rule.State)
	}
	if _, err := eb.EnableRule(ctx, &eventbridge.EnableRuleInput{Name: aws.String("nightly")}); err != nil {
		t.Fatalf("EnableRule: %v", err)
	}
	listed, err := eb.ListRules(ctx, &eventbridge.ListRulesInput{NamePrefix: aws.String("ni")})
	if err != nil || len(listed.Rules) != 1 || listed.Rules[0].State != ebtypes.RuleStateEnabled {
		t.Fatalf("ListRules = %+v, %v", listed, err)
	}

	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("nightly")}); !hasCode(err, "ValidationException") {
		t.Errorf("DeleteRule with targets: err = %v, want ValidationException", err)
	}
	if _, err := eb.DeleteRule(ctx, &eventbridge.DeleteRuleInput{Name: aws.String("nightly"), Force: true}); err != nil {
		t.Fatalf("DeleteRule force: %v", err)
	}
	var nf *ebtypes.ResourceNotFoundException
	if _, err := eb.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String("nightly")}); !asErr(err, &nf) {
		t.Errorf("DescribeRule after delete: err = %v, want ResourceNotFoundException", err)
	}
}

func TestSchedulerSchedules(t *testing.T) {
	ctx := context.Background()
	clock := newSimClock()
	s := startSim(t, clock)
	sc := schedulerClient(s)
	clusterARN := s.CreateCluster("batch")

	target := &schtypes.Target{Arn: aws.String(clusterARN), RoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		EcsParameters: &schtypes.EcsParameters{TaskDefinitionArn: aws.String("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/etl"), TaskCount: aws.Int32(1)}}
	_, err := sc.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("etl-daily"), ScheduleExpression: aws.String("cron(30 3 * * ? *)"),
		ScheduleExpressionTimezone: aws.String("Asia/Tokyo"), Target: target,
		FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeFlexible, MaximumWindowInMinutes: aws.Int32(15)}})
	if err != nil {
		t.Fatalf("CreateSchedule: %v", err)
	}
	var conflict *schtypes.ConflictException
	_, err = sc.CreateSchedule(ctx, &scheduler.CreateScheduleInput{Name: aws.String("etl-daily"), ScheduleExpression: aws.String("rate(1 hour)"),
		Target: target, FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff}})
	if !asErr(err, &conflict) {
		t.Errorf("second CreateSchedule: err = %v, want ConflictException", err)
	}
	s.PutSchedule(ScheduleSpec{Name: "other-group-job", Group: "team-a", Expr: "rate(5 minutes)", Cluster: "batch", Family: "etl"})

	all, err := sc.ListSchedules(ctx, &scheduler.ListSchedulesInput{})
	if err != nil {
		t.Fatalf("ListSchedules: %v", err)
	}
	if len(all.Schedules) != 2 {
		t.Fatalf("ListSchedules without group = %d schedules, want both groups' 2", len(all.Schedules))
	}
	onlyA, err := sc.ListSchedules(ctx, &scheduler.ListSchedulesInput{GroupName: aws.String("team-a"), MaxResults: aws.Int32(10)})
	if err != nil || len(onlyA.Schedules) != 1 || aws.ToString(onlyA.Schedules[0].Target.Arn) != clusterARN {
		t.Fatalf("ListSchedules team-a = %+v, %v", onlyA, err)
	}

	got, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("etl-daily")})
	if err != nil {
		t.Fatalf("GetSchedule: %v", err)
	}
	if aws.ToString(got.ScheduleExpressionTimezone) != "Asia/Tokyo" || aws.ToInt32(got.FlexibleTimeWindow.MaximumWindowInMinutes) != 15 ||
		got.State != schtypes.ScheduleStateEnabled || !got.CreationDate.Equal(clock.Now().Truncate(time.Millisecond)) {
		t.Errorf("GetSchedule = %+v", got)
	}
	var nf *schtypes.ResourceNotFoundException
	if _, err := sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("etl-daily"), GroupName: aws.String("team-a")}); !asErr(err, &nf) {
		t.Errorf("GetSchedule in wrong group: err = %v, want ResourceNotFoundException", err)
	}

	_, err = sc.UpdateSchedule(ctx, &scheduler.UpdateScheduleInput{Name: aws.String("etl-daily"), ScheduleExpression: aws.String("rate(2 hours)"),
		State: schtypes.ScheduleStateDisabled, Target: target, FlexibleTimeWindow: &schtypes.FlexibleTimeWindow{Mode: schtypes.FlexibleTimeWindowModeOff}})
	if err != nil {
		t.Fatalf("UpdateSchedule: %v", err)
	}
	got, _ = sc.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String("etl-daily")})
	if aws.ToString(got.ScheduleExpression) != "rate(2 hours)" || got.State != schtypes.ScheduleStateDisabled {
		t.Errorf("after UpdateSchedule = %+v", got)
	}

	groups, err := sc.ListScheduleGroups(ctx, &scheduler.ListScheduleGroupsInput{})
	if err != nil || len(groups.ScheduleGroups) != 2 {
		t.Fatalf("ListScheduleGroups = %+v, %v", groups, err)
	}
	if _, err := sc.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("other-group-job"), GroupName: aws.String("team-a")}); err != nil {
		t.Fatalf("DeleteSchedule: %v", err)
	}
	if _, err := sc.DeleteSchedule(ctx, &scheduler.DeleteScheduleInput{Name: aws.String("other-group-job"), GroupName: aws.String("team-a")}); !asErr(err, &nf) {
		t.Errorf("second DeleteSchedule: err = %v, want ResourceNotFoundException", err)
	}
	if n := s.Calls("scheduler:GetSchedule"); n != 3 {
		t.Errorf("scheduler:GetSchedule calls = %d, want 3", n)
	}
}

func TestFireDue(t *testing.T) {
	clock := newSimClock() // 2026-03-09 01:00:02 UTC
	s := startSim(t, clock)
	s.CreateCluster("batch")
	mustRegister(t, s, "report")
	s.PutScheduledRule("every-10", "cron(0/10 * * * ? *)", "batch", "report", 2, true)
	s.PutSchedule(ScheduleSpec{Name: "a-very-long-schedule-name-indeed", Expr: "cron(5 * * * ? *)", Cluster: "batch", Family: "report"})
	s.PutScheduledRule("off", "cron(* * * * ? *)", "batch", "report", 1, false)

	s.SkipNextFire("every-10")
	arns, err := s.FireDue(clock.Add(30 * time.Minute)) // 01:30:02: fires 01:10 (skipped), 01:20, 01:30 and 01:05
	if err != nil {
		t.Fatalf("FireDue: %v", err)
	}
	if len(arns) != 2*2+1 {
		t.Fatalf("started %d tasks, want 5", len(arns))
	}
	c := ecsClient(s)
	byStarter := map[string]int{}
	for _, arn := range arns {
		out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("batch"), Tasks: []string{arn}})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("describe %s: %v", arn, err)
		}
		byStarter[aws.ToString(out.Tasks[0].StartedBy)]++
		if at := aws.ToTime(out.Tasks[0].CreatedAt); at.Second() != 0 || at.Minute()%5 != 0 {
			t.Errorf("task created at %s, want its fire time", at)
		}
	}
	if byStarter["events-rule/every-10"] != 4 || byStarter["chronos-schedule/a-very-long-schedul"] != 1 {
		t.Errorf("tasks by startedBy = %v", byStarter)
	}
	// Nothing more is due until 01:40.
	if arns, _ := s.FireDue(clock.Add(5 * time.Minute)); len(arns) != 0 {
		t.Errorf("FireDue again started %d tasks, want 0", len(arns))
	}
	s.PutScheduledRule("bad", "cron(0 0 L-3 * ? *)", "batch", "report", 1, true)
	if _, err := s.FireDue(clock.Add(10 * time.Minute)); err == nil || !strings.Contains(err.Error(), "bad") {
		t.Errorf("FireDue with an unsupported expression: err = %v, want it named", err)
	}
}

func asErr[T error](err error, target *T) bool { return err != nil && errors.As(err, target) }

// A schedule fires only between its StartDate and EndDate, and GetSchedule
// returns both, as Scheduler does.
func TestScheduleStartAndEndDates(t *testing.T) {
	clock := newSimClock() // 2026-03-09 01:00:02 UTC
	s := startSim(t, clock)
	s.CreateCluster("batch")
	mustRegister(t, s, "report")
	base := clock.Now().Truncate(time.Hour)
	start, end := base.Add(2*time.Hour), base.Add(4*time.Hour)
	s.PutSchedule(ScheduleSpec{Name: "window", Expr: "cron(0 * * * ? *)", Cluster: "batch", Family: "report",
		StartDate: start, EndDate: end})

	got, err := schedulerClient(s).GetSchedule(context.Background(), &scheduler.GetScheduleInput{Name: aws.String("window")})
	if err != nil {
		t.Fatalf("GetSchedule: %v", err)
	}
	if !aws.ToTime(got.StartDate).Equal(start) || !aws.ToTime(got.EndDate).Equal(end) {
		t.Errorf("GetSchedule dates = %v..%v, want %v..%v", got.StartDate, got.EndDate, start, end)
	}
	// 02:00 is before the start; 03:00, 04:00 and 05:00 are its hours;
	// 06:00 and 07:00 are after the end.
	arns, err := s.FireDue(base.Add(7 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c := ecsClient(s)
	var fired []string
	for _, arn := range arns {
		out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("batch"), Tasks: []string{arn}})
		if err != nil || len(out.Tasks) != 1 {
			t.Fatalf("describe %s: %v", arn, err)
		}
		fired = append(fired, aws.ToTime(out.Tasks[0].CreatedAt).UTC().Format("15:04"))
	}
	if strings.Join(fired, " ") != "03:00 04:00 05:00" {
		t.Errorf("fired at %v, want 03:00 04:00 05:00 (StartDate 03:00, EndDate 05:00)", fired)
	}
}

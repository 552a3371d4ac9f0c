package monitor

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/scheduler"
)

// ClusterAPI resolves a cluster's ARN; *ecs.Client satisfies it.
type ClusterAPI interface {
	DescribeClusters(ctx context.Context, in *ecs.DescribeClustersInput, opts ...func(*ecs.Options)) (*ecs.DescribeClustersOutput, error)
}

// resolveARN asks ECS for the cluster's ARN. Rule discovery needs it
// (ListRuleNamesByTarget matches the target ARN exactly), and it must not
// wait for a task to reveal it: on a cluster where every launch fails no
// task ever runs, and that is the cluster whose missed runs matter most.
// A cluster ECS does not know is an error naming it, so a misspelt name is
// told apart at start-up rather than by silence.
func (s *Schedules) resolveARN(ctx context.Context) (string, error) {
	name := s.o.Cluster.Name
	out, err := s.o.Clusters.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{name}})
	if err != nil {
		return "", fmt.Errorf("describe ECS cluster %s: %w", name, err)
	}
	for _, c := range out.Clusters {
		if arn := aws.ToString(c.ClusterArn); arn != "" {
			return arn, nil
		}
	}
	for _, f := range out.Failures {
		return "", fmt.Errorf("describe ECS cluster %s: %s", name, aws.ToString(f.Reason))
	}
	return "", fmt.Errorf("describe ECS cluster %s: not in the answer", name)
}

// namedJobs reads the rules and schedules named in [[cluster.job]] rule
// that discovery did not find, directly by name: an EventBridge rule
// first, then a Scheduler schedule in the default group. Discovery can
// miss them (the cluster's ARN not known yet, a target naming the cluster
// in another form), and a configured rule is exactly one whose missed
// runs someone asked to see. A name found in neither is reported once.
func (s *Schedules) namedJobs(ctx context.Context, arn string, found []ScheduledJob) ([]ScheduledJob, []error) {
	have := map[string]bool{}
	for _, j := range found {
		have[j.Name] = true
	}
	var (
		jobs []ScheduledJob
		errs []error
	)
	for _, cj := range s.o.Cluster.Jobs {
		name := cj.Rule
		if name == "" || cj.Schedule != "" || have[name] {
			continue
		}
		have[name] = true
		job, ok, err := s.ruleByName(ctx, arn, name)
		if err == nil && !ok {
			job, ok, err = s.scheduleByName(ctx, name)
		}
		switch {
		case err != nil:
			errs = append(errs, err)
		case !ok:
			s.mu.Lock()
			s.reportOnce("named:"+name, "not found",
				fmt.Sprintf("%s: configured rule is neither an EventBridge rule nor a Scheduler schedule (default group) in %s; its missed-run check is off", name, s.o.Cluster.Region))
			s.mu.Unlock()
		default:
			s.mu.Lock()
			delete(s.reported, "named:"+name)
			s.mu.Unlock()
			jobs = append(jobs, job)
		}
	}
	return jobs, errs
}

// ruleByName reads one EventBridge rule and its ECS target; ok is false
// when no such rule exists or it has no schedule.
func (s *Schedules) ruleByName(ctx context.Context, arn, name string) (ScheduledJob, bool, error) {
	if s.o.Events == nil {
		return ScheduledJob{}, false, nil
	}
	rule, err := s.o.Events.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(name)})
	if err != nil {
		if isNotFound(err) {
			return ScheduledJob{}, false, nil
		}
		return ScheduledJob{}, false, fmt.Errorf("describe EventBridge rule %s: %w", name, err)
	}
	expr := aws.ToString(rule.ScheduleExpression)
	if expr == "" {
		return ScheduledJob{}, false, nil
	}
	job := ScheduledJob{Name: name, Source: SourceRule, Enabled: rule.State == "ENABLED", Expression: expr}
	targets, err := s.o.Events.ListTargetsByRule(ctx, &eventbridge.ListTargetsByRuleInput{Rule: aws.String(name)})
	if err != nil && !isNotFound(err) {
		return ScheduledJob{}, false, fmt.Errorf("list targets of EventBridge rule %s: %w", name, err)
	}
	if targets != nil {
		// The target naming this cluster if one does, else the first ECS
		// target: configuration said this rule starts this job.
		for _, t := range targets.Targets {
			if t.EcsParameters == nil || (job.Family != "" && aws.ToString(t.Arn) != arn) {
				continue
			}
			job.Family = familyOf(aws.ToString(t.EcsParameters.TaskDefinitionArn))
			job.TaskCount = int(aws.ToInt32(t.EcsParameters.TaskCount))
		}
	}
	return job, true, nil
}

// scheduleByName reads one Scheduler schedule of the default group.
func (s *Schedules) scheduleByName(ctx context.Context, name string) (ScheduledJob, bool, error) {
	if s.o.Scheduler == nil {
		return ScheduledJob{}, false, nil
	}
	sc, err := s.o.Scheduler.GetSchedule(ctx, &scheduler.GetScheduleInput{Name: aws.String(name)})
	if err != nil {
		if isNotFound(err) {
			return ScheduledJob{}, false, nil
		}
		return ScheduledJob{}, false, fmt.Errorf("get Scheduler schedule %s: %w", name, err)
	}
	return scheduledJobOf(sc), true, nil
}

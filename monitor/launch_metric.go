package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// RuleRef is one EventBridge rule that starts a job of a cluster.
type RuleRef struct {
	Cluster string
	Rule    string
}

const (
	// metricQueriesPerCall is GetMetricData's limit on queries per call
	// (docs/AWS-NOTES.md §7).
	metricQueriesPerCall = 500
	// ruleMetricGrace: a minute with failed invocations is reported only
	// once this old, so that the CloudTrail record of the same launch,
	// which names the cause, arrives first when there is one (Launches then
	// drops the metric's report of that run).
	ruleMetricGrace = 5 * time.Minute
	// ruleMetricLookback is how far back each check reads: datapoints may
	// be published a few minutes late, and Launches drops the ones read
	// before (same rule and minute).
	ruleMetricLookback = ruleMetricGrace + 5*time.Minute
)

// RuleInvocationsOptions configures RuleInvocations. CloudWatch, Rules and
// Launches are required; nil Metrics, Logger and Now become a no-op, a
// discarding logger and time.Now.
type RuleInvocationsOptions struct {
	Region     string
	CloudWatch CloudWatchAPI
	Rules      func() []RuleRef
	Launches   LaunchHandler
	Metrics    Metrics
	Logger     *slog.Logger
	Now        func() time.Time
	// Interval is how often the metric is read (required): at most once
	// per poll_interval.
	Interval time.Duration
}

// RuleInvocations reads the AWS/Events FailedInvocations metric of every
// rule of a region, in as few GetMetricData calls as the API allows, and
// reports each minute with failures as a refused launch: this is how
// failures that never reach CloudTrail are seen (the rule's role cannot be
// assumed, iam:PassRole missing).
type RuleInvocations struct {
	o        RuleInvocationsOptions
	log      *slog.Logger
	metrics  Metrics
	now      func() time.Time
	failures failureLog
}

// NewRuleInvocations builds the check; call Run, or Check.
func NewRuleInvocations(o RuleInvocationsOptions) *RuleInvocations {
	require("NewRuleInvocations", "Interval", o.Interval > 0)
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	return &RuleInvocations{o: o, log: d.logger.With("component", "rule_invocations", "region", o.Region), metrics: d.metrics, now: d.now}
}

// Run checks every Interval until ctx is cancelled.
func (r *RuleInvocations) Run(ctx context.Context) error {
	t := time.NewTicker(r.o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			if err := r.Check(ctx, r.now()); err != nil && ctx.Err() == nil && r.failures.changed(err) {
				r.log.Warn("reading FailedInvocations failed; launch failures that never reach CloudTrail are not seen meanwhile", "err", err)
			} else if err == nil && r.failures.failing() {
				r.failures.changed(nil)
				r.log.Info("reading FailedInvocations recovered")
			}
		}
	}
}

// Check reads the metric of every rule and hands each minute with failed
// invocations to Launches. It returns the first error (a read or a
// delivery); the minutes not delivered are read again next time.
func (r *RuleInvocations) Check(ctx context.Context, now time.Time) error {
	refs := r.o.Rules()
	end := now.Truncate(time.Minute).Add(time.Minute)
	start := end.Add(-ruleMetricLookback - time.Minute)
	var first error
	for lo := 0; lo < len(refs); lo += metricQueriesPerCall {
		batch := refs[lo:min(lo+metricQueriesPerCall, len(refs))]
		in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(start), EndTime: aws.Time(end)}
		for i, ref := range batch {
			in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
				Id: aws.String(fmt.Sprintf("r%d", i)),
				MetricStat: &cwtypes.MetricStat{
					Metric: &cwtypes.Metric{
						Namespace: aws.String("AWS/Events"), MetricName: aws.String("FailedInvocations"),
						Dimensions: []cwtypes.Dimension{{Name: aws.String("RuleName"), Value: aws.String(ref.Rule)}},
					},
					Period: aws.Int32(60), Stat: aws.String("Sum"),
				},
			})
		}
		out, err := r.o.CloudWatch.GetMetricData(ctx, in)
		if err != nil {
			first = cmpErr(first, fmt.Errorf("read FailedInvocations of %d rule(s) in %s: %w", len(batch), r.o.Region, err))
			continue
		}
		for _, res := range out.MetricDataResults {
			var i int
			if _, err := fmt.Sscanf(aws.ToString(res.Id), "r%d", &i); err != nil || i < 0 || i >= len(batch) {
				continue
			}
			for k, v := range res.Values {
				if v <= 0 || k >= len(res.Timestamps) || now.Sub(res.Timestamps[k]) < ruleMetricGrace {
					continue
				}
				if err := r.report(ctx, batch[i], res.Timestamps[k], v); err != nil {
					first = cmpErr(first, err)
				}
			}
		}
	}
	return first
}

func (r *RuleInvocations) report(ctx context.Context, ref RuleRef, at time.Time, n float64) error {
	_, err := r.o.Launches.Handle(ctx, LaunchAttempt{
		Source:  LaunchSourceRuleMetric,
		ID:      fmt.Sprintf("%s:%s@%d", LaunchSourceRuleMetric, ref.Rule, at.Unix()),
		Cluster: ref.Cluster,
		Region:  r.o.Region,
		Task:    Task{StartedBy: startedByRule + ref.Rule},
		At:      at,
		Text: fmt.Sprintf("EventBridge failed to invoke the rule's target %g time(s) in the minute (AWS/Events FailedInvocations, "+
			"which gives no reason; with no CloudTrail record of the call, check the rule's role and its permission to pass the task's roles)", n),
	})
	return err
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

package monitor

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	sqtypes "github.com/aws/aws-sdk-go-v2/service/servicequotas/types"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

type cloudWatchFunc func(*cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error)

func (f cloudWatchFunc) GetMetricData(_ context.Context, in *cloudwatch.GetMetricDataInput, _ ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error) {
	return f(in)
}

type quotasFunc func(*servicequotas.GetServiceQuotaInput) (*servicequotas.GetServiceQuotaOutput, error)

func (f quotasFunc) GetServiceQuota(_ context.Context, in *servicequotas.GetServiceQuotaInput, _ ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error) {
	return f(in)
}

// The quota watcher: warn, re-notify after renotify_interval, escalate,
// resolve; the quotas are read once per 10 minutes; a missing permission is
// one monitor_error however long it lasts, and its end resolves it.
func TestQuotaTransitions(t *testing.T) {
	used := 8.5
	var quotaErr error
	quotaReads := 0
	q := NewQuota(QuotaOptions{
		Config: config.Quota{Enabled: true, WarnPercent: 80, CriticalPercent: 95, RenotifyInterval: config.Duration{Duration: 30 * time.Minute}},
		Region: "ap-northeast-1", Interval: time.Minute,
		CloudWatch: cloudWatchFunc(func(in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
			if n := len(in.MetricDataQueries); n != 2 {
				t.Errorf("GetMetricData with %d queries, want both classes in one call", n)
			}
			return &cloudwatch.GetMetricDataOutput{MetricDataResults: []cwtypes.MetricDataResult{
				{Id: aws.String("vcpu0"), Values: []float64{1, used}, Timestamps: []time.Time{time.Unix(0, 0), time.Unix(60, 0)}},
				{Id: aws.String("vcpu1"), Values: []float64{0}, Timestamps: []time.Time{time.Unix(60, 0)}},
			}}, nil
		}),
		ServiceQuotas: quotasFunc(func(in *servicequotas.GetServiceQuotaInput) (*servicequotas.GetServiceQuotaOutput, error) {
			quotaReads++
			if quotaErr != nil {
				return nil, quotaErr
			}
			return &servicequotas.GetServiceQuotaOutput{Quota: &sqtypes.ServiceQuota{
				Value: aws.Float64(10), QuotaArn: aws.String("arn:aws:servicequotas:ap-northeast-1:123456789012:fargate/" + aws.ToString(in.QuotaCode))}}, nil
		}),
	})
	t0 := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
	check := func(at time.Duration) []Finding { return q.Check(t.Context(), t0.Add(at)) }
	one := func(fs []Finding, kind Kind, tr Transition, sev Severity) Finding {
		t.Helper()
		if len(fs) != 1 || fs[0].Kind != kind || fs[0].Transition != tr || (sev != "" && fs[0].Severity != sev) {
			t.Fatalf("findings = %+v, want one %s %s %s", fs, kind, tr, sev)
		}
		return fs[0]
	}

	f := one(check(0), KindFargateQuota, Opened, SeverityWarning)
	if f.Account != "123456789012" || f.Class != "OnDemand" || f.Value != 9 || f.Limit != 10 || !strings.Contains(f.Message, "8.5 of 10 vCPU in use (85%)") {
		t.Errorf("opened = %+v", f)
	}
	if fs := check(time.Minute); len(fs) != 0 {
		t.Errorf("unchanged usage gave %+v", fs)
	}
	one(check(31*time.Minute), KindFargateQuota, Renotify, SeverityWarning)
	used = 9.6
	one(check(32*time.Minute), KindFargateQuota, Escalated, SeverityCritical)
	used = 3
	f = one(check(33*time.Minute), KindFargateQuota, Resolved, "")
	if !strings.Contains(f.Message, "below 80%") {
		t.Errorf("resolved message = %q", f.Message)
	}
	// Quotas are read at 0 and once 10 minutes passed (31m), two classes
	// each; 1m, 32m and 33m reuse them.
	if quotaReads != 4 {
		t.Errorf("quota reads = %d, want 4 (two classes, at 0 and at 31m)", quotaReads)
	}

	quotaErr = errors.New("AccessDeniedException: not authorized to perform: servicequotas:GetServiceQuota")
	f = one(check(50*time.Minute), KindMonitorError, Opened, SeverityCritical)
	if !strings.Contains(f.Message, "servicequotas:GetServiceQuota") {
		t.Errorf("monitor_error message = %q, want the action named", f.Message)
	}
	for i := range 5 {
		if fs := check(51*time.Minute + time.Duration(i)*time.Minute); len(fs) != 0 {
			t.Errorf("a lasting permission problem gave %+v", fs)
		}
	}
	quotaErr = nil
	one(check(60*time.Minute), KindMonitorError, Resolved, "")
}

type launchHandlerFunc func(LaunchAttempt) (Outcome, error)

func (f launchHandlerFunc) Handle(_ context.Context, a LaunchAttempt) (Outcome, error) { return f(a) }

// FailedInvocations of 501 rules take two GetMetricData calls (the API's
// 500-query limit); a minute with failures is reported once it is past the
// grace, as a launch attempt of the rule's job.
func TestRuleInvocationsBatches(t *testing.T) {
	now := time.Date(2026, 3, 9, 2, 10, 30, 0, time.UTC)
	var refs []RuleRef
	for i := range 501 {
		refs = append(refs, RuleRef{Cluster: "cron", Rule: "rule-" + strings.Repeat("x", i%3) + string(rune('a'+i%26))})
	}
	refs[500].Rule = "nightly"
	calls := 0
	var got []LaunchAttempt
	r := NewRuleInvocations(RuleInvocationsOptions{
		Region: "ap-northeast-1", Interval: time.Minute,
		Rules: func() []RuleRef { return refs },
		CloudWatch: cloudWatchFunc(func(in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
			calls++
			if len(in.MetricDataQueries) > 500 {
				t.Errorf("GetMetricData with %d queries, over the API's 500", len(in.MetricDataQueries))
			}
			var out cloudwatch.GetMetricDataOutput
			for _, q := range in.MetricDataQueries {
				if aws.ToString(q.MetricStat.Metric.Dimensions[0].Value) == "nightly" {
					out.MetricDataResults = append(out.MetricDataResults, cwtypes.MetricDataResult{Id: q.Id,
						Values:     []float64{2, 1},
						Timestamps: []time.Time{now.Add(-8 * time.Minute).Truncate(time.Minute), now.Add(-time.Minute).Truncate(time.Minute)}})
				}
			}
			return &out, nil
		}),
		Launches: launchHandlerFunc(func(a LaunchAttempt) (Outcome, error) { got = append(got, a); return OutcomeAlerted, nil }),
	})
	if err := r.Check(t.Context(), now); err != nil {
		t.Fatal(err)
	}
	if calls != 2 {
		t.Errorf("GetMetricData calls = %d, want 2 for 501 rules", calls)
	}
	if len(got) != 1 {
		t.Fatalf("reported %+v, want only the minute past the grace", got)
	}
	a := got[0]
	if a.Task.StartedBy != "events-rule/nightly" || a.Source != LaunchSourceRuleMetric || a.Cluster != "cron" ||
		!a.At.Equal(time.Date(2026, 3, 9, 2, 2, 0, 0, time.UTC)) || ClassifyLaunch(a.ErrorCode, a.Text) != CauseUnknown {
		t.Errorf("attempt = %+v", a)
	}
}

// A check cut short by shutdown observed nothing: no "context canceled"
// monitor_error (it used to be alerted as the daemon stopped).
func TestQuotaCheckCancelledIsNoError(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	q := NewQuota(QuotaOptions{
		Config: config.Quota{Enabled: true, WarnPercent: 80, CriticalPercent: 95, RenotifyInterval: config.Duration{Duration: 30 * time.Minute}},
		Region: "ap-northeast-1", Interval: time.Minute,
		CloudWatch: cloudWatchFunc(func(*cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
			return nil, context.Canceled
		}),
		ServiceQuotas: quotasFunc(func(*servicequotas.GetServiceQuotaInput) (*servicequotas.GetServiceQuotaOutput, error) {
			cancel() // shutdown arrives during the check
			return nil, context.Canceled
		}),
	})
	if fs := q.Check(ctx, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)); len(fs) != 0 {
		t.Errorf("a check cut short by shutdown gave %+v, want nothing", fs)
	}
}

// Readings are the last check's usage against the quota per class, and
// every finding carries the configured alias with the account id, so
// messages read "prod (222222222222)".
func TestQuotaReadingsAndAlias(t *testing.T) {
	usageErr := error(nil)
	q := NewQuota(QuotaOptions{
		Config: config.Quota{Enabled: true, WarnPercent: 80, CriticalPercent: 95, RenotifyInterval: config.Duration{Duration: 30 * time.Minute}},
		Region: "eu-west-1", Account: "222222222222", AccountAlias: "prod", Interval: time.Minute,
		CloudWatch: cloudWatchFunc(func(*cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
			if usageErr != nil {
				return nil, usageErr
			}
			return &cloudwatch.GetMetricDataOutput{MetricDataResults: []cwtypes.MetricDataResult{
				{Id: aws.String("vcpu0"), Values: []float64{36}, Timestamps: []time.Time{time.Unix(60, 0)}},
				{Id: aws.String("vcpu1"), Values: []float64{2.5}, Timestamps: []time.Time{time.Unix(60, 0)}},
			}}, nil
		}),
		ServiceQuotas: quotasFunc(func(in *servicequotas.GetServiceQuotaInput) (*servicequotas.GetServiceQuotaOutput, error) {
			v := 40.0
			if aws.ToString(in.QuotaCode) == "L-36FBB829" {
				v = 100
			}
			return &servicequotas.GetServiceQuotaOutput{Quota: &sqtypes.ServiceQuota{Value: aws.Float64(v)}}, nil
		}),
	})
	if rs := q.Readings(); len(rs) != 0 {
		t.Errorf("readings before any check = %+v", rs)
	}
	t0 := time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC)
	fs := q.Check(t.Context(), t0)
	if len(fs) != 1 || fs[0].Kind != KindFargateQuota || fs[0].InAccount().String() != "prod (222222222222)" {
		t.Errorf("findings = %+v, want one fargate_quota in prod (222222222222)", fs)
	}
	rs := q.Readings()
	want := []QuotaReading{
		{Account: "222222222222", Region: "eu-west-1", Class: "OnDemand", Used: 36, Quota: 40, Severity: SeverityWarning, At: t0},
		{Account: "222222222222", Region: "eu-west-1", Class: "Spot", Used: 2.5, Quota: 100, At: t0},
	}
	if len(rs) != 2 || rs[0] != want[0] || rs[1] != want[1] {
		t.Errorf("readings = %+v, want %+v", rs, want)
	}
	usageErr = errors.New("AccessDeniedException: not authorized to perform: cloudwatch:GetMetricData")
	fs = q.Check(t.Context(), t0.Add(time.Minute))
	var merr *Finding
	for i := range fs {
		if fs[i].Kind == KindMonitorError {
			merr = &fs[i]
		}
	}
	if merr == nil || merr.InAccount().String() != "prod (222222222222)" {
		t.Errorf("findings = %+v, want a monitor_error in prod (222222222222)", fs)
	}
	if rs := q.Readings(); len(rs) != 0 {
		t.Errorf("readings after usage could not be read = %+v, want none (nothing known now)", rs)
	}
}

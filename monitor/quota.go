package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
)

// CloudWatchAPI is the CloudWatch operation the quota watcher and the rule
// invocation check call; *cloudwatch.Client satisfies it.
type CloudWatchAPI interface {
	GetMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput, optFns ...func(*cloudwatch.Options)) (*cloudwatch.GetMetricDataOutput, error)
}

// ServiceQuotasAPI is the Service Quotas operation the quota watcher
// calls; *servicequotas.Client satisfies it.
type ServiceQuotasAPI interface {
	GetServiceQuota(ctx context.Context, in *servicequotas.GetServiceQuotaInput, optFns ...func(*servicequotas.Options)) (*servicequotas.GetServiceQuotaOutput, error)
}

// QuotaSink takes the watcher's transitions; *Dispatcher satisfies it.
type QuotaSink interface {
	Handle(f Finding)
}

// FargateClass is one Fargate capacity class with its usage metric class
// and its Service Quotas code (docs/AWS-NOTES.md §7).
type FargateClass struct {
	Name        string // "OnDemand" or "Spot": the finding's class and the metric tag
	MetricClass string // the AWS/Usage Class dimension
	QuotaCode   string // under service code "fargate"
}

// FargateClasses are the two classes watched.
func FargateClasses() []FargateClass {
	return []FargateClass{
		{Name: "OnDemand", MetricClass: "Standard/OnDemand", QuotaCode: "L-3032A538"},
		{Name: "Spot", MetricClass: "Standard/Spot", QuotaCode: "L-36FBB829"},
	}
}

const (
	// quotaRefresh is how often quota values are read: they change only
	// when an increase is granted.
	quotaRefresh = 10 * time.Minute
	// usageLookback is how far back the latest usage datapoint is sought;
	// AWS/Usage is published every minute.
	usageLookback = 5 * time.Minute
)

// QuotaOptions configures one Quota watcher, for one account and region.
// CloudWatch, ServiceQuotas and Sink are required; nil Metrics, Logger and
// Now become a no-op, a discarding logger and time.Now.
type QuotaOptions struct {
	Config  config.Quota
	Region  string
	Account string // learnt from the quota's ARN when empty
	// AccountAlias names the account in the findings (config's
	// cluster.account_alias), "" when none is configured.
	AccountAlias  string
	CloudWatch    CloudWatchAPI
	ServiceQuotas ServiceQuotasAPI
	Sink          QuotaSink
	Metrics       Metrics
	Logger        *slog.Logger
	Now           func() time.Time
	// Interval is how often usage is read (required).
	Interval time.Duration
	// AfterCheck, if set, is called after every check (health).
	AfterCheck func()
	// Tracker holds the scope's open incidents; a reload hands the old
	// watcher's over (Quota.Tracker), so nothing open is alerted again.
	// nil: a new one.
	Tracker *Tracker
}

// Quota watches the account's Fargate vCPU use against its quotas in one
// region: fargate_quota incidents warn, escalate, re-notify and resolve as
// task_limit ones do. A missing permission is one monitor_error naming the
// action; the rest of the daemon is unaffected.
type Quota struct {
	o       QuotaOptions
	log     *slog.Logger
	metrics Metrics
	now     func() time.Time
	tracker *Tracker
	// readings are the last check's, for Readings.
	readings quotaReadings

	// Owned by the Run goroutine (or the single Once caller).
	account  string
	quotas   map[string]float64 // class name -> quota value
	quotaAt  time.Time
	quotaErr *Observation
}

// NewQuota builds a watcher; call Run, or Check.
func NewQuota(o QuotaOptions) *Quota {
	require("NewQuota", "Interval", o.Interval > 0)
	require("NewQuota", "Config.WarnPercent", o.Config.WarnPercent > 0)
	require("NewQuota", "Config.CriticalPercent", o.Config.CriticalPercent > 0)
	d := withDefaults(o.Metrics, o.Logger, o.Now)
	return &Quota{o: o, log: d.logger.With("component", "quota", "region", o.Region), metrics: d.metrics, now: d.now,
		tracker: carryTracker(o.Tracker, o.Config.RenotifyInterval.Duration, nil), account: o.Account, quotas: map[string]float64{}}
}

// Tracker is the watcher's incident tracker (see QuotaOptions.Tracker).
func (q *Quota) Tracker() *Tracker { return q.tracker }

// Run checks every Interval until ctx is cancelled.
func (q *Quota) Run(ctx context.Context) error {
	t := time.NewTicker(q.o.Interval)
	defer t.Stop()
	for {
		for _, f := range q.Check(ctx, q.now()) {
			q.o.Sink.Handle(f)
		}
		if q.o.AfterCheck != nil {
			q.o.AfterCheck()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Check reads usage (and the quotas, when due) and returns the incident
// transitions.
func (q *Quota) Check(ctx context.Context, now time.Time) []Finding {
	var obs []Observation
	if q.quotaAt.IsZero() || now.Sub(q.quotaAt) >= quotaRefresh || q.quotaErr != nil {
		q.readQuotas(ctx, now)
	}
	if q.quotaErr != nil {
		obs = append(obs, *q.quotaErr)
	}
	used, err := q.readUsage(ctx, now)
	if ctx.Err() != nil {
		// Cut short by shutdown: this check observed nothing, and a
		// "context canceled" is no monitor_error.
		q.quotaErr = nil
		return nil
	}
	if err != nil {
		obs = append(obs, q.errorObservation("cloudwatch:GetMetricData", "read Fargate vCPU usage", err))
	}
	var readings []QuotaReading
	for _, c := range FargateClasses() {
		limit, ok := q.quotas[c.Name]
		u, seen := used[c.Name]
		if !ok || !seen || limit <= 0 {
			continue
		}
		tags := []string{"account:" + q.account, "region:" + q.o.Region, "class:" + c.Name}
		pct := u / limit * 100
		q.metrics.Gauge("account.fargate_vcpu.used", u, tags)
		q.metrics.Gauge("account.fargate_vcpu.quota", limit, tags)
		q.metrics.Gauge("account.fargate_vcpu.utilization", pct, tags)
		var sev Severity
		switch {
		case pct >= q.o.Config.CriticalPercent:
			sev = SeverityCritical
		case pct >= q.o.Config.WarnPercent:
			sev = SeverityWarning
		}
		readings = append(readings, QuotaReading{Account: q.account, Region: q.o.Region, Class: c.Name,
			Used: u, Quota: limit, Severity: sev, At: now})
		if sev == "" {
			continue
		}
		obs = append(obs, Observation{
			Kind: KindFargateQuota, Severity: sev, Region: q.o.Region, Account: q.account, Class: c.Name,
			Value: int(math.Round(u)), Limit: int(math.Round(limit)),
			Message: fmt.Sprintf("%s of %s vCPU in use (%.0f%%); launches fail at the quota",
				FormatVCPU(u), FormatVCPU(limit), pct),
		})
	}
	q.readings.set(readings)
	fs := q.tracker.Update(now, "", []Kind{KindFargateQuota, KindMonitorError}, obs)
	for i, f := range fs {
		fs[i].AccountAlias = q.o.AccountAlias
		if f.Kind == KindFargateQuota && f.Transition == Resolved {
			fs[i].Message = fmt.Sprintf("vCPU in use back below %.0f%% of the quota", q.o.Config.WarnPercent)
		}
	}
	return fs
}

// FormatVCPU writes a vCPU count without a needless fraction: 36, 36.5.
func FormatVCPU(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// readQuotas reads both quota values. A failure keeps the values known
// before and becomes one monitor_error.
func (q *Quota) readQuotas(ctx context.Context, now time.Time) {
	q.quotaErr = nil
	for _, c := range FargateClasses() {
		out, err := q.o.ServiceQuotas.GetServiceQuota(ctx, &servicequotas.GetServiceQuotaInput{
			ServiceCode: aws.String("fargate"), QuotaCode: aws.String(c.QuotaCode),
		})
		if err != nil {
			o := q.errorObservation("servicequotas:GetServiceQuota", "read the Fargate "+c.Name+" vCPU quota", err)
			q.quotaErr = &o
			return
		}
		if out.Quota == nil || out.Quota.Value == nil {
			continue
		}
		q.quotas[c.Name] = *out.Quota.Value
		if q.account == "" {
			q.account = arnAccount(aws.ToString(out.Quota.QuotaArn))
		}
	}
	q.quotaAt = now
}

// readUsage reads the latest ResourceCount of every class in one
// GetMetricData call.
func (q *Quota) readUsage(ctx context.Context, now time.Time) (map[string]float64, error) {
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-usageLookback)),
		EndTime:   aws.Time(now),
		ScanBy:    cwtypes.ScanByTimestampDescending,
	}
	for i, c := range FargateClasses() {
		in.MetricDataQueries = append(in.MetricDataQueries, cwtypes.MetricDataQuery{
			Id: aws.String(fmt.Sprintf("vcpu%d", i)),
			MetricStat: &cwtypes.MetricStat{
				Metric: &cwtypes.Metric{
					Namespace:  aws.String("AWS/Usage"),
					MetricName: aws.String("ResourceCount"),
					Dimensions: []cwtypes.Dimension{
						{Name: aws.String("Service"), Value: aws.String("Fargate")},
						{Name: aws.String("Type"), Value: aws.String("Resource")},
						{Name: aws.String("Resource"), Value: aws.String("vCPU")},
						{Name: aws.String("Class"), Value: aws.String(c.MetricClass)},
					},
				},
				Period: aws.Int32(60),
				Stat:   aws.String("Maximum"),
			},
		})
	}
	out, err := q.o.CloudWatch.GetMetricData(ctx, in)
	if err != nil {
		return nil, err
	}
	used := map[string]float64{}
	classes := FargateClasses()
	for _, r := range out.MetricDataResults {
		var i int
		if _, err := fmt.Sscanf(aws.ToString(r.Id), "vcpu%d", &i); err != nil || i < 0 || i >= len(classes) || len(r.Values) == 0 {
			continue
		}
		used[classes[i].Name] = latest(r)
	}
	return used, nil
}

// latest is the value of the newest datapoint, whatever order AWS used.
func latest(r cwtypes.MetricDataResult) float64 {
	best := 0
	for i := range r.Values {
		if i < len(r.Timestamps) && r.Timestamps[i].After(r.Timestamps[best]) {
			best = i
		}
	}
	return r.Values[best]
}

func (q *Quota) errorObservation(action, attempted string, err error) Observation {
	return Observation{
		Kind: KindMonitorError, Severity: SeverityCritical, Region: q.o.Region, Account: q.account,
		Job: "fargate-quota@" + q.o.Region + " (" + action + ")",
		Message: fmt.Sprintf("cannot %s in %s (needs %s): %s; Fargate quota checks are off until it works, everything else keeps running",
			attempted, q.o.Region, action, describeErr(err)),
	}
}

// arnAccount is the account field of an ARN, "" if it has none.
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func quotaKey(account, region, class string) string {
	return string(KindFargateQuota) + "|" + account + "|" + region + "|" + class
}

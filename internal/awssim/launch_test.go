package awssim

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"
)

func cloudWatchClient(s *Server) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		BaseEndpoint: aws.String(s.URL()), Region: s.Region(), RetryMaxAttempts: 1, HTTPClient: HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
}

func quotasClient(s *Server) *servicequotas.Client {
	return servicequotas.New(servicequotas.Options{
		BaseEndpoint: aws.String(s.URL()), Region: s.Region(), RetryMaxAttempts: 1, HTTPClient: HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
	})
}

func usageQuery(id, class string) cwtypes.MetricDataQuery {
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Usage"), MetricName: aws.String("ResourceCount"),
			Dimensions: []cwtypes.Dimension{
				{Name: aws.String("Service"), Value: aws.String("Fargate")},
				{Name: aws.String("Type"), Value: aws.String("Resource")},
				{Name: aws.String("Resource"), Value: aws.String("vCPU")},
				{Name: aws.String("Class"), Value: aws.String(class)},
			}},
		Period: aws.Int32(60), Stat: aws.String("Maximum")}}
}

// TestCloudWatchCBORAndServiceQuotas: the real CloudWatch client (RPCv2
// CBOR) reads Fargate usage, including running tasks, and the real Service
// Quotas client reads the quota; faults reach both as AWS errors.
func TestCloudWatchCBORAndServiceQuotas(t *testing.T) {
	clock := newSimClock()
	s := startSim(t, clock)
	s.CreateCluster("cron")
	if _, err := s.RegisterTaskDefinition("nightly"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RunTasks("cron", "nightly", "events-rule/nightly", 4); err != nil {
		t.Fatal(err)
	}
	s.SetFargateBaseUsage(FargateOnDemand, 3)
	s.SetFargateQuota(FargateOnDemand, 8)

	now := clock.Now()
	out, err := cloudWatchClient(s).GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-5 * time.Minute)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{usageQuery("od", "Standard/OnDemand"), usageQuery("spot", "Standard/Spot")},
	})
	if err != nil {
		t.Fatalf("GetMetricData: %v", err)
	}
	got := map[string][]float64{}
	for _, r := range out.MetricDataResults {
		got[aws.ToString(r.Id)] = r.Values
		if len(r.Timestamps) != len(r.Values) {
			t.Errorf("%s: %d timestamps for %d values", aws.ToString(r.Id), len(r.Timestamps), len(r.Values))
		}
	}
	if v := got["od"]; len(v) != 1 || v[0] != 4 { // 3 base + 4 tasks x 0.25
		t.Errorf("On-Demand usage = %v, want [4]", v)
	}
	if v := got["spot"]; len(v) != 1 || v[0] != 0 {
		t.Errorf("Spot usage = %v, want [0]", v)
	}

	q, err := quotasClient(s).GetServiceQuota(t.Context(), &servicequotas.GetServiceQuotaInput{
		ServiceCode: aws.String("fargate"), QuotaCode: aws.String("L-3032A538")})
	if err != nil {
		t.Fatalf("GetServiceQuota: %v", err)
	}
	if aws.ToFloat64(q.Quota.Value) != 8 || !strings.HasSuffix(aws.ToString(q.Quota.QuotaArn), ":123456789012:fargate/L-3032A538") {
		t.Errorf("quota = %v %s", aws.ToFloat64(q.Quota.Value), aws.ToString(q.Quota.QuotaArn))
	}

	s.InjectFault(Fault{Op: "cloudwatch:GetMetricData", Code: "AccessDeniedException", Message: "not authorized to perform: cloudwatch:GetMetricData"})
	_, err = cloudWatchClient(s).GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(now.Add(-5 * time.Minute)), EndTime: aws.Time(now),
		MetricDataQueries: []cwtypes.MetricDataQuery{usageQuery("od", "Standard/OnDemand")},
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "AccessDeniedException" || !strings.Contains(ae.ErrorMessage(), "cloudwatch:GetMetricData") {
		t.Errorf("faulted GetMetricData err = %v, want AccessDeniedException naming the action", err)
	}
}

// TestRefusedLaunchesLeaveAWSTraces: a full quota gives a CloudTrail record
// with failures and no task; a refused rule counts a FailedInvocation; a
// refused schedule sends its dead letter, attributes readable by the real
// SQS client (which checks MD5OfMessageAttributes).
func TestRefusedLaunchesLeaveAWSTraces(t *testing.T) {
	clock := newSimClock()
	s := startSim(t, clock)
	s.CreateCluster("cron")
	if _, err := s.RegisterTaskDefinition("nightly"); err != nil {
		t.Fatal(err)
	}
	q := s.CreateQueue("events", nil)
	dlq := s.CreateQueue("sched-dlq", nil)
	s.RouteTaskEvents(q)
	s.PutScheduledRule("nightly", "rate(1 minute)", "cron", "nightly", 1, true)
	s.PutSchedule(ScheduleSpec{Name: "export", Expr: "rate(1 minute)", Cluster: "cron", Family: "nightly", DeadLetterQueue: "sched-dlq"})

	s.SetFargateQuota(FargateOnDemand, 0.2) // less than one task
	clock.Add(time.Minute)
	started, err := s.FireDue(clock.Now())
	if err != nil || len(started) != 0 {
		t.Fatalf("FireDue over quota started %v (err %v), want none", started, err)
	}
	var records []map[string]any
	for _, b := range s.Messages(q) {
		var m map[string]any
		if err := json.Unmarshal([]byte(b), &m); err != nil {
			t.Fatal(err)
		}
		if m["detail-type"] == "AWS API Call via CloudTrail" {
			records = append(records, m)
		}
	}
	if len(records) != 2 {
		t.Fatalf("got %d CloudTrail records, want 2 (rule and schedule)", len(records))
	}
	d := records[0]["detail"].(map[string]any)
	resp := d["responseElements"].(map[string]any)
	if d["eventName"] != "RunTask" || len(resp["tasks"].([]any)) != 0 ||
		!strings.Contains(resp["failures"].([]any)[0].(map[string]any)["reason"].(string), "limit on the number of vCPUs") {
		t.Errorf("quota record = %v", d)
	}

	s.SetFargateQuota(FargateOnDemand, 100)
	s.RefuseLaunches("nightly", LaunchRefusal{Code: "AccessDeniedException", Message: "not authorized to perform: iam:PassRole", BeforeRunTask: true})
	s.RefuseLaunches("export", LaunchRefusal{Code: "InvalidParameterException", Message: "subnet not found"})
	clock.Add(time.Minute)
	if started, _ := s.FireDue(clock.Now()); len(started) != 0 {
		t.Fatalf("refused launches started %v", started)
	}
	if n := s.CloudTrailRecords(); n != 3 {
		t.Errorf("CloudTrail records = %d, want 3 (the role failure writes none)", n)
	}
	out, err := cloudWatchClient(s).GetMetricData(t.Context(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(clock.Now().Add(-10 * time.Minute)), EndTime: aws.Time(clock.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("r0"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("AWS/Events"), MetricName: aws.String("FailedInvocations"),
				Dimensions: []cwtypes.Dimension{{Name: aws.String("RuleName"), Value: aws.String("nightly")}}},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if v := out.MetricDataResults[0].Values; len(v) != 1 || v[0] != 1 {
		t.Errorf("FailedInvocations = %v, want [1]", v)
	}

	client := sqs.New(sqs.Options{BaseEndpoint: aws.String(s.URL()), Region: s.Region(), HTTPClient: HTTPClient(),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", "")})
	rm, err := client.ReceiveMessage(t.Context(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlq), MessageAttributeNames: []string{"All"}})
	if err != nil {
		t.Fatalf("receive dead letter: %v", err)
	}
	if len(rm.Messages) != 1 {
		t.Fatalf("dead letters = %d, want 1", len(rm.Messages))
	}
	a := rm.Messages[0].MessageAttributes
	if aws.ToString(a["ERROR_CODE"].StringValue) != "InvalidParameterException" ||
		!strings.HasSuffix(aws.ToString(a["SCHEDULE_ARN"].StringValue), ":schedule/default/export") ||
		!strings.HasSuffix(aws.ToString(a["TARGET_ARN"].StringValue), ":cluster/cron") {
		t.Errorf("dead-letter attributes = %v", a)
	}
}

package awssim

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

func startCloud(t *testing.T, o CloudOptions) *Cloud {
	t.Helper()
	c := NewCloud(o)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var homeCreds = credentials.NewStaticCredentialsProvider("AKIDHOME", "SECRET", "")

func stsClient(c *Cloud, creds aws.CredentialsProvider) *sts.Client {
	return sts.New(sts.Options{BaseEndpoint: aws.String(c.URL()), Region: "us-east-1", Credentials: creds,
		RetryMaxAttempts: 1, HTTPClient: HTTPClient()})
}

func cloudECS(c *Cloud, region string, creds aws.CredentialsProvider) *ecs.Client {
	return ecs.New(ecs.Options{BaseEndpoint: aws.String(c.URL()), Region: region, Credentials: creds,
		RetryMaxAttempts: 1, HTTPClient: HTTPClient()})
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// The real STS client and the stscreds provider get AWS-shaped answers:
// the caller's identity, credentials for a trusted role in another
// account, and AccessDenied for an untrusted caller or a wrong external id.
func TestCloudSTSAssumeRoleAndCallerIdentity(t *testing.T) {
	ctx := context.Background()
	c := startCloud(t, CloudOptions{Home: "111111111111"})
	c.AddRole(Role{ARN: "arn:aws:iam::222222222222:role/monitor-read", Trust: []string{"arn:aws:iam::111111111111:root"}, ExternalID: "ext-1"})
	c.AddRole(Role{ARN: "arn:aws:iam::333333333333:role/monitor-read", Trust: []string{"arn:aws:iam::999999999999:root"}})

	id, err := stsClient(c, homeCreds).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "111111111111" || !strings.HasPrefix(aws.ToString(id.Arn), "arn:aws:iam::111111111111:") {
		t.Errorf("caller = %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}

	assumed := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient(c, homeCreds), "arn:aws:iam::222222222222:role/monitor-read",
		func(o *stscreds.AssumeRoleOptions) { o.ExternalID = aws.String("ext-1"); o.RoleSessionName = "test" }))
	id, err = stsClient(c, assumed).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(id.Arn), "arn:aws:sts::222222222222:assumed-role/monitor-read/test"; got != want || aws.ToString(id.Account) != "222222222222" {
		t.Errorf("assumed caller = %s (%s), want %s", got, aws.ToString(id.Account), want)
	}
	creds, _ := assumed.Retrieve(ctx)
	if !creds.CanExpire || creds.Expires.Before(time.Now().Add(14*time.Minute)) {
		t.Errorf("credentials expire %v (CanExpire %v), want the provider's 15 minutes", creds.Expires, creds.CanExpire)
	}

	for name, tc := range map[string]struct{ role, ext string }{
		"wrong external id": {"arn:aws:iam::222222222222:role/monitor-read", "nope"},
		"untrusted caller":  {"arn:aws:iam::333333333333:role/monitor-read", ""},
		"no such role":      {"arn:aws:iam::444444444444:role/monitor-read", ""},
	} {
		_, err := stsClient(c, homeCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(tc.role), RoleSessionName: aws.String("s"), ExternalId: aws.String(tc.ext)})
		if apiCode(err) != "AccessDenied" || !strings.Contains(err.Error(), "not authorized to perform: sts:AssumeRole on resource: "+tc.role) {
			t.Errorf("%s: err = %v, want AccessDenied naming the role", name, err)
		}
	}
	if n := c.Calls("sts:AssumeRole"); n != 4 {
		t.Errorf("AssumeRole calls = %d, want 4", n)
	}
}

// Each account and region is its own simulator: a cluster made in one is
// not seen from another account or another region.
func TestCloudSeparatesAccountsAndRegions(t *testing.T) {
	ctx := context.Background()
	c := startCloud(t, CloudOptions{})
	c.AddRole(Role{ARN: "arn:aws:iam::222222222222:role/r", Trust: []string{"arn:aws:iam::111111111111:root"}})
	c.Server("222222222222", "eu-west-1").CreateCluster("prod")
	assumed := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsClient(c, homeCreds), "arn:aws:iam::222222222222:role/r"))

	list := func(region string, creds aws.CredentialsProvider) error {
		_, err := cloudECS(c, region, creds).ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")})
		return err
	}
	if err := list("eu-west-1", assumed); err != nil {
		t.Errorf("member account, eu-west-1: %v", err)
	}
	if err := list("us-east-1", assumed); apiCode(err) != "ClusterNotFoundException" {
		t.Errorf("member account, us-east-1: %v, want ClusterNotFoundException", err)
	}
	if err := list("eu-west-1", homeCreds); apiCode(err) != "ClusterNotFoundException" {
		t.Errorf("home account, eu-west-1: %v, want ClusterNotFoundException", err)
	}
	out, err := cloudECS(c, "eu-west-1", assumed).DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod"}})
	if err != nil || len(out.Clusters) != 1 || !strings.Contains(aws.ToString(out.Clusters[0].ClusterArn), ":eu-west-1:222222222222:cluster/prod") {
		t.Errorf("DescribeClusters = %+v, %v", out, err)
	}
	// A temporary key that STS never issued is refused.
	forged := credentials.NewStaticCredentialsProvider("ASIAFORGED", "x", "token")
	if err := list("eu-west-1", forged); apiCode(err) != "InvalidClientTokenId" {
		t.Errorf("forged key: %v, want InvalidClientTokenId", err)
	}
}

// Temporary credentials stop working when they expire, judged by the
// Cloud's clock.
func TestCloudExpiredCredentials(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	c := startCloud(t, CloudOptions{Now: clock.Now})
	c.AddRole(Role{ARN: "arn:aws:iam::222222222222:role/r", Trust: []string{"arn:aws:iam::111111111111:root"}})
	c.Server("222222222222", "us-east-1").CreateCluster("prod")
	out, err := stsClient(c, homeCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/r"), RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	cr := out.Credentials
	if !cr.Expiration.Equal(clock.Now().Add(15 * time.Minute)) {
		t.Errorf("expiration %v, want 15m after %v", cr.Expiration, clock.Now())
	}
	static := credentials.NewStaticCredentialsProvider(aws.ToString(cr.AccessKeyId), aws.ToString(cr.SecretAccessKey), aws.ToString(cr.SessionToken))
	if _, err := cloudECS(c, "us-east-1", static).ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	clock.Add(15 * time.Minute)
	_, err = cloudECS(c, "us-east-1", static).ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod")})
	if apiCode(err) != "ExpiredTokenException" || c.Expired() != 1 {
		t.Errorf("after expiry: %v (expired count %d), want ExpiredTokenException", err, c.Expired())
	}
	_, err = stsClient(c, homeCreds).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::222222222222:role/r"), RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(60)})
	if apiCode(err) != "ValidationError" {
		t.Errorf("60 s session: %v, want ValidationError (AWS's minimum is 900 s)", err)
	}
}

// SSM GetParameter (JSON 1.1) and S3 GetObject (REST-XML) through the
// real clients: SecureString needs WithDecryption; the S3 client, given
// an IP-address endpoint, addresses the bucket path-style by itself.
func TestCloudSSMAndS3(t *testing.T) {
	ctx := context.Background()
	c := startCloud(t, CloudOptions{})
	sim := c.Server("111111111111", "us-east-1")
	sim.PutParameter("/ecs-cron-monitor/config", "SecureString", "[slack]\n")
	sim.PutObject("configs", "prod/config.toml", []byte("[datadog]\n"))

	sc := ssm.New(ssm.Options{BaseEndpoint: aws.String(c.URL()), Region: "us-east-1", Credentials: homeCreds, RetryMaxAttempts: 1, HTTPClient: HTTPClient()})
	p, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/ecs-cron-monitor/config"), WithDecryption: aws.Bool(true)})
	if err != nil || aws.ToString(p.Parameter.Value) != "[slack]\n" || p.Parameter.Version != 1 {
		t.Fatalf("GetParameter = %+v, %v", p, err)
	}
	p, err = sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/ecs-cron-monitor/config")})
	if err != nil || aws.ToString(p.Parameter.Value) == "[slack]\n" {
		t.Errorf("without decryption the SecureString value came back in clear: %+v, %v", p, err)
	}
	_, err = sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/nope")})
	if apiCode(err) != "ParameterNotFound" {
		t.Errorf("missing parameter: %v", err)
	}

	s3c := s3.New(s3.Options{BaseEndpoint: aws.String(c.URL()), Region: "us-east-1", Credentials: homeCreds, RetryMaxAttempts: 1, HTTPClient: HTTPClient()})
	o, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("configs"), Key: aws.String("prod/config.toml")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(o.Body)
	o.Body.Close()
	if string(body) != "[datadog]\n" {
		t.Errorf("GetObject body = %q", body)
	}
	_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("configs"), Key: aws.String("nope")})
	if apiCode(err) != "NoSuchKey" {
		t.Errorf("missing key: %v", err)
	}
	_, err = s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("other"), Key: aws.String("k")})
	if apiCode(err) != "NoSuchBucket" {
		t.Errorf("missing bucket: %v", err)
	}
}

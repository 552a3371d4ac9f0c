package awssim

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

func TestSQSGetQueueAttributesCounts(t *testing.T) {
	s, c, clock := newSQSTest(t)
	ctx := context.Background()
	url := s.CreateQueue("attrs", map[string]string{"VisibilityTimeout": "45"})
	for i := range 4 {
		s.SendRaw(url, "m"+strconv.Itoa(i))
	}
	sqsRecv(t, c, url, 1, nil) // one in flight
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("later"), DelaySeconds: 60}); err != nil {
		t.Fatal(err)
	}

	get := func(names ...types.QueueAttributeName) map[string]string {
		t.Helper()
		out, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: names})
		if err != nil {
			t.Fatalf("GetQueueAttributes: %v", err)
		}
		return out.Attributes
	}
	a := get(types.QueueAttributeNameAll)
	want := map[string]string{
		"ApproximateNumberOfMessages":           "3",
		"ApproximateNumberOfMessagesNotVisible": "1",
		"ApproximateNumberOfMessagesDelayed":    "1",
		"QueueArn":                              "arn:aws:sqs:ap-northeast-1:123456789012:attrs",
		"VisibilityTimeout":                     "45",
		"MessageRetentionPeriod":                "345600",
		"CreatedTimestamp":                      strconv.FormatInt(clock.Now().Unix(), 10),
	}
	for k, v := range want {
		if a[k] != v {
			t.Errorf("%s = %q, want %q", k, a[k], v)
		}
	}
	if _, ok := a["RedrivePolicy"]; ok {
		t.Error("RedrivePolicy reported for a queue without one")
	}
	if got := get(types.QueueAttributeNameQueueArn); len(got) != 1 {
		t.Errorf("asked for QueueArn only, got %v", got)
	}

	// The delayed message becomes visible with the clock; the received one
	// after its 45 s.
	clock.Add(60 * time.Second)
	a = get(types.QueueAttributeNameApproximateNumberOfMessages, types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)
	if a["ApproximateNumberOfMessages"] != "5" || a["ApproximateNumberOfMessagesNotVisible"] != "0" {
		t.Errorf("after 60 s: %v", a)
	}

	_, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{"Colour"}})
	if !errors.As(err, new(*types.InvalidAttributeName)) {
		t.Errorf("unknown attribute: %v", err)
	}
}

func TestSQSDelayAndRetention(t *testing.T) {
	s, c, clock := newSQSTest(t)
	url := s.CreateQueue("ret", map[string]string{"MessageRetentionPeriod": "120", "DelaySeconds": "10"})
	s.SendRaw(url, "delayed")
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 0 {
		t.Fatal("delayed message received at once")
	}
	clock.Add(10 * time.Second)
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 1 {
		t.Fatal("message not received after the queue's delay")
	}
	clock.Add(110 * time.Second) // 120 s after sending: expired
	if got := s.Messages(url); len(got) != 0 {
		t.Fatalf("expired messages kept: %v", got)
	}
}

func TestSQSCreateQueueRules(t *testing.T) {
	_, c, _ := newSQSTest(t)
	ctx := context.Background()
	create := func(name string, attrs map[string]string) error {
		_, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name), Attributes: attrs})
		return err
	}
	if err := create("q1", map[string]string{"VisibilityTimeout": "60"}); err != nil {
		t.Fatal(err)
	}
	if err := create("q1", map[string]string{"VisibilityTimeout": "60"}); err != nil {
		t.Errorf("same attributes again: %v", err)
	}
	if err := create("q1", map[string]string{"VisibilityTimeout": "61"}); !errors.As(err, new(*types.QueueNameExists)) {
		t.Errorf("different attributes: %v", err)
	}
	bad := map[string]map[string]string{
		"visibility out of range": {"VisibilityTimeout": "43201"},
		"wait out of range":       {"ReceiveMessageWaitTimeSeconds": "21"},
		"redrive not JSON":        {"RedrivePolicy": "{"},
		"redrive count 0":         {"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:123456789012:d","maxReceiveCount":0}`},
	}
	for name, attrs := range bad {
		if err := create("q2", attrs); !errors.As(err, new(*types.InvalidAttributeValue)) {
			t.Errorf("%s: %v, want InvalidAttributeValue", name, err)
		}
	}
	if err := create("q3", map[string]string{"Colour": "red"}); !errors.As(err, new(*types.InvalidAttributeName)) {
		t.Errorf("unknown attribute: %v", err)
	}
	if err := create("bad name!", nil); sqsErrCode(err) != "InvalidParameterValue" {
		t.Errorf("bad name: %v", err)
	}
	list, err := c.ListQueues(ctx, &sqs.ListQueuesInput{})
	if err != nil || len(list.QueueUrls) != 1 {
		t.Errorf("ListQueues = %v, %v; want only q1", list, err)
	}
}

func TestSQSPurgeAndParameterChecks(t *testing.T) {
	s, c, _ := newSQSTest(t)
	ctx := context.Background()
	url := s.CreateQueue("purge", nil)
	s.SendRaw(url, "a")
	s.SendRaw(url, "b")
	msgs := sqsRecv(t, c, url, 1, nil)
	if _, err := c.PurgeQueue(ctx, &sqs.PurgeQueueInput{QueueUrl: aws.String(url)}); err != nil {
		t.Fatal(err)
	}
	if v, f := s.QueueDepth(url); v != 0 || f != 0 {
		t.Fatalf("depth after purge = %d, %d", v, f)
	}
	_, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle})
	if !errors.As(err, new(*types.ReceiptHandleIsInvalid)) {
		t.Errorf("delete after purge: %v", err)
	}
	for _, n := range []int32{-1, 11} {
		_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), MaxNumberOfMessages: n})
		if sqsErrCode(err) != "InvalidParameterValue" {
			t.Errorf("MaxNumberOfMessages %d: %v", n, err)
		}
	}
	_, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 21})
	if sqsErrCode(err) != "InvalidParameterValue" {
		t.Errorf("WaitTimeSeconds 21: %v", err)
	}
}

func TestSQSSendLocked(t *testing.T) {
	s := New(Options{Now: func() time.Time { return time.Unix(1700000000, 0) }})
	// Before Start the URL is AWS-shaped; the simulator accepts it anyway.
	url := s.CreateQueue("target", nil)
	if url != "https://sqs.ap-northeast-1.amazonaws.com/123456789012/target" {
		t.Fatalf("URL before Start = %q", url)
	}
	refs := []string{"target", url, "arn:aws:sqs:ap-northeast-1:123456789012:target", "http://127.0.0.1:1/123456789012/target/"}
	s.mu.Lock()
	for _, ref := range refs {
		if err := s.sqs.sendLocked(ref, "via "+ref, s.now()); err != nil {
			t.Errorf("sendLocked(%q): %v", ref, err)
		}
	}
	err := s.sqs.sendLocked("arn:aws:sqs:ap-northeast-1:123456789012:missing", "x", s.now())
	s.mu.Unlock()
	var aerr *apiError
	if !errors.As(err, &aerr) || aerr.QueryCode != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Errorf("send to a missing queue: %v", err)
	}
	if got := s.Messages("target"); len(got) != len(refs) {
		t.Errorf("messages = %v", got)
	}
	if v, f := s.QueueDepth("target"); v != len(refs) || f != 0 {
		t.Errorf("depth = %d, %d", v, f)
	}
}

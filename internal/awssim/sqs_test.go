package awssim

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// newSQSTest starts a simulator on an injected clock and returns it with a
// real SDK client pointed at it.
func newSQSTest(t *testing.T) (*Server, *sqs.Client, *testkit.Clock) {
	t.Helper()
	clock := testkit.NewClock(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	s := New(Options{Now: clock.Now})
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c := sqs.New(sqs.Options{
		BaseEndpoint:     aws.String(s.URL()),
		Region:           "ap-northeast-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		RetryMaxAttempts: 1,
		HTTPClient:       HTTPClient(),
	})
	return s, c, clock
}

// sqsRecv receives without waiting, asking for every system attribute.
func sqsRecv(t *testing.T, c *sqs.Client, url string, max int32, mod func(*sqs.ReceiveMessageInput)) []types.Message {
	t.Helper()
	in := &sqs.ReceiveMessageInput{
		QueueUrl:                    aws.String(url),
		MaxNumberOfMessages:         max,
		WaitTimeSeconds:             0,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	}
	if mod != nil {
		mod(in)
	}
	out, err := c.ReceiveMessage(context.Background(), in)
	if err != nil {
		t.Fatalf("ReceiveMessage: %v", err)
	}
	return out.Messages
}

func sqsBodies(msgs []types.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, aws.ToString(m.Body))
	}
	return out
}

func sqsErrCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestSQSSendReceiveDelete(t *testing.T) {
	s, c, clock := newSQSTest(t)
	ctx := context.Background()
	created, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("events")})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(created.QueueUrl)
	if want := s.URL() + "/123456789012/events"; url != want {
		t.Fatalf("queue URL = %q, want %q", url, want)
	}
	got, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("events")})
	if err != nil || aws.ToString(got.QueueUrl) != url {
		t.Fatalf("GetQueueUrl = %v, %v", got, err)
	}

	// The SDK checks MD5OfMessageBody itself; a wrong sum fails the call.
	body := `{"detail-type":"ECS Task State Change","detail":{"lastStatus":"STOPPED"}} ✓`
	sent, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String(body)})
	if err != nil {
		t.Fatalf("SendMessage: %v", err)
	}
	if len(aws.ToString(sent.MessageId)) != 36 {
		t.Fatalf("MessageId = %q, want a UUID", aws.ToString(sent.MessageId))
	}

	msgs := sqsRecv(t, c, url, 10, nil)
	if len(msgs) != 1 || aws.ToString(msgs[0].Body) != body || aws.ToString(msgs[0].MessageId) != aws.ToString(sent.MessageId) {
		t.Fatalf("received %+v", msgs)
	}
	attrs := msgs[0].Attributes
	if attrs["ApproximateReceiveCount"] != "1" ||
		attrs["SentTimestamp"] != strconv.FormatInt(clock.Now().UnixMilli(), 10) ||
		attrs["ApproximateFirstReceiveTimestamp"] != strconv.FormatInt(clock.Now().UnixMilli(), 10) {
		t.Fatalf("attributes = %v", attrs)
	}
	if v, f := s.QueueDepth("events"); v != 0 || f != 1 {
		t.Fatalf("depth = %d visible, %d in flight; want 0, 1", v, f)
	}

	handle := msgs[0].ReceiptHandle
	if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: handle}); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if v, f := s.QueueDepth(url); v != 0 || f != 0 {
		t.Fatalf("depth after delete = %d, %d", v, f)
	}
	_, err = c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: handle})
	var invalid *types.ReceiptHandleIsInvalid
	if !errors.As(err, &invalid) {
		t.Fatalf("second delete: %v, want ReceiptHandleIsInvalid", err)
	}
	if got := s.Calls("sqs:DeleteMessage"); got != 2 {
		t.Fatalf("calls = %d", got)
	}
}

func TestSQSVisibilityTimeout(t *testing.T) {
	s, c, clock := newSQSTest(t)
	url := s.CreateQueue("vis", map[string]string{"VisibilityTimeout": "30"})
	s.SendRaw(url, "hello")

	first := sqsRecv(t, c, url, 1, nil)
	if len(first) != 1 {
		t.Fatalf("first receive: %v", sqsBodies(first))
	}
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 0 {
		t.Fatalf("message visible while in flight: %v", sqsBodies(got))
	}
	clock.Add(29 * time.Second)
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 0 {
		t.Fatalf("message visible before its timeout: %v", sqsBodies(got))
	}
	clock.Add(2 * time.Second)
	second := sqsRecv(t, c, url, 1, nil)
	if len(second) != 1 || second[0].Attributes["ApproximateReceiveCount"] != "2" {
		t.Fatalf("second receive: %+v", second)
	}
	if aws.ToString(second[0].ReceiptHandle) == aws.ToString(first[0].ReceiptHandle) {
		t.Fatal("receipt handle reused across receives")
	}
	// The first receive time stays the first.
	if second[0].Attributes["ApproximateFirstReceiveTimestamp"] != first[0].Attributes["ApproximateFirstReceiveTimestamp"] {
		t.Fatalf("first receive timestamp moved: %v", second[0].Attributes)
	}

	// A per-request VisibilityTimeout overrides the queue's.
	clock.Add(31 * time.Second)
	sqsRecv(t, c, url, 1, func(in *sqs.ReceiveMessageInput) { in.VisibilityTimeout = 5 })
	clock.Add(6 * time.Second)
	third := sqsRecv(t, c, url, 1, nil)
	if len(third) != 1 {
		t.Fatal("message still hidden after the 5 s override")
	}

	// An older handle still deletes a message that exists.
	if _, err := c.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: first[0].ReceiptHandle}); err != nil {
		t.Fatalf("delete with an older handle: %v", err)
	}
	if got := s.Messages(url); len(got) != 0 {
		t.Fatalf("messages left: %v", got)
	}
}

func TestSQSChangeMessageVisibility(t *testing.T) {
	s, c, clock := newSQSTest(t)
	ctx := context.Background()
	url := s.CreateQueue("cmv", nil)
	s.SendRaw("cmv", "m1")
	msgs := sqsRecv(t, c, url, 1, nil)

	change := func(h *string, secs int32) error {
		_, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
			QueueUrl: aws.String(url), ReceiptHandle: h, VisibilityTimeout: secs})
		return err
	}
	if err := change(msgs[0].ReceiptHandle, 0); err != nil {
		t.Fatalf("ChangeMessageVisibility(0): %v", err)
	}
	if v, f := s.QueueDepth(url); v != 1 || f != 0 {
		t.Fatalf("depth after visibility 0 = %d, %d; want 1, 0", v, f)
	}
	// Visible again, it is not in flight: AWS refuses the change.
	if err := change(msgs[0].ReceiptHandle, 10); sqsErrCode(err) != "AWS.SimpleQueueService.MessageNotInflight" {
		t.Fatalf("change on a visible message: %v", err)
	}

	msgs = sqsRecv(t, c, url, 1, nil)
	if err := change(msgs[0].ReceiptHandle, 300); err != nil {
		t.Fatal(err)
	}
	clock.Add(299 * time.Second) // the default 30 s no longer applies
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 0 {
		t.Fatalf("visible before the extended timeout: %v", sqsBodies(got))
	}
	clock.Add(time.Second)
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 1 {
		t.Fatal("not visible after the extended timeout")
	}
	if err := change(aws.String("AQEBbogus"), 0); !errors.As(err, new(*types.ReceiptHandleIsInvalid)) {
		t.Fatalf("bogus handle: %v", err)
	}

	// The deliberate difference of the package doc: an older handle of a
	// message received again since still moves its visibility, so a
	// consumer's late heartbeat hides the message from its new holder.
	clock.Add(31 * time.Second)
	newer := sqsRecv(t, c, url, 1, nil)
	if len(newer) != 1 || aws.ToString(newer[0].ReceiptHandle) == aws.ToString(msgs[0].ReceiptHandle) {
		t.Fatalf("receive again: %+v", newer)
	}
	if err := change(newer[0].ReceiptHandle, 0); err != nil {
		t.Fatal(err)
	}
	if err := change(msgs[0].ReceiptHandle, 600); sqsErrCode(err) != "AWS.SimpleQueueService.MessageNotInflight" {
		t.Fatalf("older handle on a visible message: %v, want MessageNotInflight", err)
	}
	newer = sqsRecv(t, c, url, 1, nil)
	if err := change(msgs[0].ReceiptHandle, 600); err != nil {
		t.Fatalf("older handle on a message in flight again: %v", err)
	}
	clock.Add(599 * time.Second)
	if got := sqsRecv(t, c, url, 1, nil); len(got) != 0 {
		t.Fatalf("the older handle's extension did not apply: %v", sqsBodies(got))
	}
}

func TestSQSBatch(t *testing.T) {
	s, c, _ := newSQSTest(t)
	ctx := context.Background()
	url := s.CreateQueue("batch", nil)

	entries := func(n int) []types.SendMessageBatchRequestEntry {
		var es []types.SendMessageBatchRequestEntry
		for i := range n {
			es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String("e" + strconv.Itoa(i)), MessageBody: aws.String("body-" + strconv.Itoa(i))})
		}
		return es
	}
	es := entries(3)
	es = append(es, types.SendMessageBatchRequestEntry{Id: aws.String("bad"), MessageBody: aws.String("nul \x00 char")})
	out, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: es})
	if err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}
	if len(out.Successful) != 3 || len(out.Failed) != 1 || aws.ToString(out.Failed[0].Id) != "bad" ||
		aws.ToString(out.Failed[0].Code) != "InvalidMessageContents" || !out.Failed[0].SenderFault {
		t.Fatalf("batch result: %+v", out)
	}

	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: entries(11)})
	if !errors.As(err, new(*types.TooManyEntriesInBatchRequest)) {
		t.Fatalf("11 entries: %v", err)
	}
	dup := append(entries(1), entries(1)...)
	_, err = c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(url), Entries: dup})
	if !errors.As(err, new(*types.BatchEntryIdsNotDistinct)) {
		t.Fatalf("duplicate ids: %v", err)
	}

	msgs := sqsRecv(t, c, url, 10, nil)
	if got := strings.Join(sqsBodies(msgs), ","); got != "body-0,body-1,body-2" {
		t.Fatalf("received %s", got)
	}
	del := []types.DeleteMessageBatchRequestEntry{{Id: aws.String("x"), ReceiptHandle: aws.String("AQEBnope")}}
	for i, m := range msgs {
		del = append(del, types.DeleteMessageBatchRequestEntry{Id: aws.String("d" + strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle})
	}
	dout, err := c.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(url), Entries: del})
	if err != nil {
		t.Fatalf("DeleteMessageBatch: %v", err)
	}
	if len(dout.Successful) != 3 || len(dout.Failed) != 1 || aws.ToString(dout.Failed[0].Code) != "ReceiptHandleIsInvalid" {
		t.Fatalf("delete batch result: %+v", dout)
	}
	if v, f := s.QueueDepth(url); v != 0 || f != 0 {
		t.Fatalf("depth after batch delete = %d, %d", v, f)
	}
}

func TestSQSRedriveToDeadLetterQueue(t *testing.T) {
	s, c, _ := newSQSTest(t)
	ctx := context.Background()
	dlqURL := s.CreateQueue("events-dlq", nil)
	// maxReceiveCount as a string, as the console and Terraform write it.
	policy := `{"deadLetterTargetArn":"arn:aws:sqs:ap-northeast-1:123456789012:events-dlq","maxReceiveCount":"2"}`
	created, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{
		QueueName: aws.String("events"),
		// Visibility 0 puts each message straight back, as a failing
		// consumer would. (The SDK cannot send a per-request 0: the field
		// is a plain int32 and zero means absent.)
		Attributes: map[string]string{"RedrivePolicy": policy, "VisibilityTimeout": "0"},
	})
	if err != nil {
		t.Fatal(err)
	}
	url := aws.ToString(created.QueueUrl)
	s.SendRaw(url, "poison")
	s.SendRaw(url, "fine")

	for i := 1; i <= 2; i++ {
		msgs := sqsRecv(t, c, url, 1, nil)
		if len(msgs) != 1 || aws.ToString(msgs[0].Body) != "poison" || msgs[0].Attributes["ApproximateReceiveCount"] != strconv.Itoa(i) {
			t.Fatalf("receive %d: %+v", i, msgs)
		}
	}
	// The third receive moves "poison" and carries on with the next message.
	msgs := sqsRecv(t, c, url, 1, nil)
	if got := sqsBodies(msgs); len(got) != 1 || got[0] != "fine" {
		t.Fatalf("third receive = %v, want [fine]", got)
	}
	if got := s.Messages(dlqURL); len(got) != 1 || got[0] != "poison" {
		t.Fatalf("DLQ = %v", got)
	}
	if got := s.Messages("events"); len(got) != 1 || got[0] != "fine" {
		t.Fatalf("source queue = %v", got)
	}
	// In the DLQ it starts over as never received.
	dlqMsgs := sqsRecv(t, c, dlqURL, 1, nil)
	if len(dlqMsgs) != 1 || dlqMsgs[0].Attributes["ApproximateReceiveCount"] != "1" {
		t.Fatalf("DLQ receive: %+v", dlqMsgs)
	}

	attrs, err := c.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(url), AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameRedrivePolicy}})
	if err != nil {
		t.Fatal(err)
	}
	var rp sqsRedrivePolicy
	if err := json.Unmarshal([]byte(attrs.Attributes["RedrivePolicy"]), &rp); err != nil || rp.MaxReceiveCount != 2 ||
		rp.DeadLetterTargetArn != "arn:aws:sqs:ap-northeast-1:123456789012:events-dlq" {
		t.Fatalf("RedrivePolicy = %q (%v)", attrs.Attributes["RedrivePolicy"], err)
	}
}

func TestSQSQueueDoesNotExist(t *testing.T) {
	s, c, _ := newSQSTest(t)
	ctx := context.Background()
	s.CreateQueue("real", nil)
	calls := map[string]func() error{
		"GetQueueUrl": func() error {
			_, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("nope")})
			return err
		},
		"ReceiveMessage": func() error {
			_, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(s.URL() + "/123456789012/nope")})
			return err
		},
		"SendMessage": func() error {
			_, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String("https://sqs.ap-northeast-1.amazonaws.com/123456789012/nope"), MessageBody: aws.String("x")})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		var qdne *types.QueueDoesNotExist
		if !errors.As(err, &qdne) {
			t.Errorf("%s: %v, want *types.QueueDoesNotExist", name, err)
		}
		if got := sqsErrCode(err); got != "AWS.SimpleQueueService.NonExistentQueue" {
			t.Errorf("%s: ErrorCode() = %q", name, got)
		}
	}
	// A real-looking AWS URL names a simulated queue by its last element.
	if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl: aws.String("https://sqs.ap-northeast-1.amazonaws.com/123456789012/real"), MessageBody: aws.String("x")}); err != nil {
		t.Fatalf("send via an AWS URL: %v", err)
	}
	if got := s.Messages("real"); len(got) != 1 {
		t.Fatalf("real = %v", got)
	}
}

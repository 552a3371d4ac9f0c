package awssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// sqsWaitCalls waits (briefly, in real time) until an operation has been
// called n times, so that a test acts while a long poll is in progress.
func sqsWaitCalls(t *testing.T, s *Server, op string, n int) {
	t.Helper()
	testkit.EventuallyWithin(t, 5*time.Second, op+" calls", func() bool { return s.Calls(op) >= n })
	// Let the handler reach its wait; a message sent before then is found
	// on the first look, which would not exercise the wake-up.
	time.Sleep(30 * time.Millisecond)
}

// sqsLongPoll runs a ReceiveMessage with WaitTimeSeconds in the background.
func sqsLongPoll(ctx context.Context, c *sqs.Client, url string, wait int32) <-chan *sqs.ReceiveMessageOutput {
	ch := make(chan *sqs.ReceiveMessageOutput, 1)
	go func() {
		out, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: wait})
		if err != nil {
			out = nil
		}
		ch <- out
	}()
	return ch
}

func TestSQSLongPollWakesOnSend(t *testing.T) {
	s, c, _ := newSQSTest(t)
	url := s.CreateQueue("lp", nil)
	start := time.Now()
	got := sqsLongPoll(context.Background(), c, url, 20)
	sqsWaitCalls(t, s, "sqs:ReceiveMessage", 1)
	if _, err := c.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(url), MessageBody: aws.String("wake")}); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-got:
		if out == nil || len(out.Messages) != 1 || aws.ToString(out.Messages[0].Body) != "wake" {
			t.Fatalf("long poll returned %+v", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll did not return when a message arrived")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("long poll took %v", d)
	}
}

func TestSQSLongPollWakesOnVisibilityZero(t *testing.T) {
	s, c, _ := newSQSTest(t)
	ctx := context.Background()
	url := s.CreateQueue("lp0", nil)
	s.SendRaw(url, "again")
	msgs := sqsRecv(t, c, url, 1, nil)

	got := sqsLongPoll(ctx, c, url, 20)
	sqsWaitCalls(t, s, "sqs:ReceiveMessage", 2)
	// The injected clock does not move: only the explicit change can
	// release the waiting poll.
	if _, err := c.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{
		QueueUrl: aws.String(url), ReceiptHandle: msgs[0].ReceiptHandle, VisibilityTimeout: 0}); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-got:
		if out == nil || len(out.Messages) != 1 {
			t.Fatalf("long poll returned %+v", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll not woken by ChangeMessageVisibility(0)")
	}
}

func TestSQSLongPollTimesOutEmpty(t *testing.T) {
	s, c, _ := newSQSTest(t)
	url := s.CreateQueue("lp-empty", nil)
	start := time.Now()
	out, err := c.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: 1})
	d := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 0 {
		t.Fatalf("got %d messages from an empty queue", len(out.Messages))
	}
	if d < 900*time.Millisecond || d > 3*time.Second {
		t.Fatalf("WaitTimeSeconds=1 returned after %v", d)
	}
}

func TestSQSLongPollQueueDefaultWait(t *testing.T) {
	// ReceiveMessageWaitTimeSeconds on the queue applies when the request
	// names no wait; a message sent meanwhile ends it.
	s, c, _ := newSQSTest(t)
	url := s.CreateQueue("lp-default", map[string]string{"ReceiveMessageWaitTimeSeconds": "20"})
	got := sqsLongPoll(context.Background(), c, url, 0)
	sqsWaitCalls(t, s, "sqs:ReceiveMessage", 1)
	select {
	case <-got:
		t.Fatal("returned at once despite the queue's wait time")
	default:
	}
	s.SendRaw(url, "late")
	select {
	case out := <-got:
		if out == nil || len(out.Messages) != 1 {
			t.Fatalf("long poll returned %+v", out)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("long poll not woken by SendRaw")
	}
}

func TestSQSLongPollEndsOnContextCancel(t *testing.T) {
	s, _, _ := newSQSTest(t)
	url := s.CreateQueue("lp-cancel", nil)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	out, aerr := s.sqsReceiveMessage(ctx, []byte(`{"QueueUrl":"`+url+`","WaitTimeSeconds":20}`))
	if aerr != nil {
		t.Fatal(aerr)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancelled long poll returned after %v", d)
	}
	if res := out.(struct {
		Messages []sqsWireMessage `json:"Messages,omitempty"`
	}); len(res.Messages) != 0 {
		t.Fatalf("messages from an empty queue: %v", res.Messages)
	}
}

func TestSQSCloseReleasesLongPoll(t *testing.T) {
	s, c, _ := newSQSTest(t)
	url := s.CreateQueue("lp-close", nil)
	got := sqsLongPoll(context.Background(), c, url, 20)
	sqsWaitCalls(t, s, "sqs:ReceiveMessage", 1)
	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatalf("Close with a long poll in progress: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("Close waited %v for the long poll", d)
	}
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("long poll still running after Close")
	}
}

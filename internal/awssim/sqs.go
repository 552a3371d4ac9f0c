package awssim

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// sqsState is the simulated SQS: queues, messages, redrive. It is guarded by
// Server.mu like the rest of the simulator. Message visibility is never
// scheduled: every access compares timestamps with the server's clock, so an
// injected clock controls visibility timeouts and delays exactly.
type sqsState struct {
	queues map[string]*sqsQueue // by queue name
	// done is closed by closeLocked when the server stops, releasing every
	// long poll at once so that Shutdown does not wait out WaitTimeSeconds.
	done   chan struct{}
	closed bool
}

// sqsQueue is one standard queue. Messages are kept in send order; a
// standard queue promises no order, but a stable one makes tests readable.
type sqsQueue struct {
	name     string
	cfg      sqsQueueConfig
	created  time.Time
	modified time.Time
	msgs     []*sqsMessage
	// handles maps every receipt handle ever issued for a message still in
	// the queue to that message; AWS accepts an older handle as long as the
	// message exists, so a handle is forgotten only with its message.
	handles map[string]*sqsMessage
	// ready is closed (and replaced) whenever a message may have become
	// receivable, waking long polls; see wakeLocked.
	ready chan struct{}
}

// sqsMessage is a message with its delivery state.
type sqsMessage struct {
	id           string
	body         string
	md5          string
	sent         time.Time
	visibleAt    time.Time // receivable at or after this instant
	receiveCount int
	firstReceive time.Time
	handles      []string
	// attrs are message attributes (all of DataType String), as senders
	// such as EventBridge Scheduler's dead-letter delivery set them.
	attrs map[string]string
}

func (q *sqsState) init() {
	q.queues = map[string]*sqsQueue{}
	q.done = make(chan struct{})
}

// closeLocked releases long polls for good; the caller holds s.mu.
func (q *sqsState) closeLocked() {
	if !q.closed {
		q.closed = true
		close(q.done)
	}
}

// sqsHandler returns the handler of an SQS operation, nil if unknown. ctx is
// the HTTP request's context: a long poll ends when the client goes away.
func (s *Server) sqsHandler(ctx context.Context, op string) handler {
	switch op {
	case "CreateQueue":
		return s.sqsCreateQueue
	case "GetQueueUrl":
		return s.sqsGetQueueURL
	case "GetQueueAttributes":
		return s.sqsGetQueueAttributes
	case "SetQueueAttributes":
		return s.sqsSetQueueAttributes
	case "ListQueues":
		return s.sqsListQueues
	case "DeleteQueue":
		return s.sqsDeleteQueue
	case "PurgeQueue":
		return s.sqsPurgeQueue
	case "SendMessage":
		return s.sqsSendMessage
	case "SendMessageBatch":
		return s.sqsSendMessageBatch
	case "ReceiveMessage":
		return func(body []byte) (any, *apiError) { return s.sqsReceiveMessage(ctx, body) }
	case "DeleteMessage":
		return s.sqsDeleteMessage
	case "DeleteMessageBatch":
		return s.sqsDeleteMessageBatch
	case "ChangeMessageVisibility":
		return s.sqsChangeMessageVisibility
	}
	return nil
}

// sendLocked enqueues a message on the queue named by URL, ARN or name, as
// EventBridge would deliver it. The caller holds s.mu.
func (q *sqsState) sendLocked(queue, body string, now time.Time) error {
	qu, aerr := q.lookupLocked(queue)
	if aerr != nil {
		return fmt.Errorf("send message to queue %q: %w", queue, aerr)
	}
	if aerr := sqsValidBody(body); aerr != nil {
		return fmt.Errorf("send message to queue %q: %w", queue, aerr)
	}
	qu.enqueueLocked(body, qu.cfg.delay, now)
	return nil
}

// withQueue decodes a request into in, whose field *queueURL
// names a queue, and calls fn with that queue while holding s.mu.
func (s *Server) withQueue(body []byte, in any, queueURL *string, fn func(*sqsQueue) (any, *apiError)) (any, *apiError) {
	if aerr := decode(body, in); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, aerr := s.sqs.lookupLocked(*queueURL)
	if aerr != nil {
		return nil, aerr
	}
	return fn(qu)
}

// lookupLocked finds a queue given by URL (any host: only the last path
// element counts, as a daemon configured with a real AWS URL must work
// against the simulator), by ARN or by bare name.
func (q *sqsState) lookupLocked(ref string) (*sqsQueue, *apiError) {
	name := sqsQueueName(ref)
	if qu, ok := q.queues[name]; ok && name != "" {
		return qu, nil
	}
	return nil, sqsNoQueue()
}

func sqsNoQueue() *apiError {
	return sqsErr(400, "QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue",
		"The specified queue does not exist.")
}

// sqsQueueName extracts the queue name from a URL, an ARN or a name.
func sqsQueueName(ref string) string {
	ref = strings.TrimSpace(ref)
	if strings.HasPrefix(ref, "arn:") {
		return ref[strings.LastIndex(ref, ":")+1:]
	}
	if strings.Contains(ref, "/") {
		if u, err := url.Parse(ref); err == nil && u.Path != "" {
			ref = u.Path
		}
		ref = strings.TrimRight(ref, "/")
		return ref[strings.LastIndex(ref, "/")+1:]
	}
	return ref
}

// enqueueLocked appends a message and wakes long polls.
func (qu *sqsQueue) enqueueLocked(body string, delay time.Duration, now time.Time) *sqsMessage {
	m := &sqsMessage{
		id:        sqsMessageID(),
		body:      body,
		md5:       sqsMD5(body),
		sent:      now,
		visibleAt: now.Add(delay),
	}
	qu.msgs = append(qu.msgs, m)
	qu.wakeLocked()
	return m
}

// wakeLocked tells every long poll waiting on the queue to look again.
func (qu *sqsQueue) wakeLocked() {
	close(qu.ready)
	qu.ready = make(chan struct{})
}

// sweepLocked drops messages older than the retention period. It runs on
// every access, so expiry follows the injected clock.
func (qu *sqsQueue) sweepLocked(now time.Time) {
	qu.msgs = slices.DeleteFunc(qu.msgs, func(m *sqsMessage) bool {
		if now.Sub(m.sent) < qu.cfg.retention {
			return false
		}
		qu.forgetLocked(m)
		return true
	})
}

// removeLocked deletes a message from the queue.
func (qu *sqsQueue) removeLocked(m *sqsMessage) {
	qu.msgs = slices.DeleteFunc(qu.msgs, func(x *sqsMessage) bool { return x == m })
	qu.forgetLocked(m)
}

// forgetLocked invalidates a message's receipt handles.
func (qu *sqsQueue) forgetLocked(m *sqsMessage) {
	for _, h := range m.handles {
		delete(qu.handles, h)
	}
	m.handles = nil
}

// countsLocked returns how many messages are visible, in flight (received
// and not yet visible again) and delayed (never received, not yet visible).
func (qu *sqsQueue) countsLocked(now time.Time) (visible, inflight, delayed int) {
	for _, m := range qu.msgs {
		switch {
		case !m.visibleAt.After(now):
			visible++
		case m.receiveCount > 0:
			inflight++
		default:
			delayed++
		}
	}
	return visible, inflight, delayed
}

// sqsQueueURL is the URL of a queue on this simulator. Before Start there is no
// address yet, so it falls back to an AWS-looking URL, which the simulator
// accepts all the same.
func (s *Server) sqsQueueURL(name string) string {
	if s.ln == nil {
		return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", s.region, s.account, name)
	}
	return s.URL() + "/" + s.account + "/" + name
}

// sqsQueueARN is the ARN of a queue.
func (s *Server) sqsQueueARN(name string) string {
	return fmt.Sprintf("arn:aws:sqs:%s:%s:%s", s.region, s.account, name)
}

// sqsErr builds an SQS error the way the JSON protocol reports it: a
// namespaced __type, and the legacy query code in x-amzn-query-error, which
// the SDK uses as the error code it reports.
func sqsErr(status int, code, queryCode, format string, a ...any) *apiError {
	return &apiError{
		Status:    status,
		Code:      "com.amazonaws.sqs#" + code,
		Message:   fmt.Sprintf(format, a...),
		QueryCode: queryCode,
	}
}

// sqsInvalidParam is AWS's generic validation error, which has no modelled
// type in the SDK.
func sqsInvalidParam(format string, a ...any) *apiError {
	return &apiError{Status: 400, Code: "InvalidParameterValue", QueryCode: "InvalidParameterValue",
		Message: fmt.Sprintf(format, a...)}
}

func sqsMissingParam(name string) *apiError {
	return &apiError{Status: 400, Code: "MissingParameter", QueryCode: "MissingParameter",
		Message: fmt.Sprintf("The request must contain the parameter %s.", name)}
}

// sqsMD5 is the checksum the SDK verifies on every message body it sends or
// receives.
func sqsMD5(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sqsMessageID returns a random UUID (version 4), the shape of an SQS
// MessageId.
func sqsMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// sqsReceiptHandle returns an opaque, unguessable receipt handle.
func sqsReceiptHandle() string {
	var b [48]byte
	_, _ = rand.Read(b[:])
	return "AQEB" + hex.EncodeToString(b[:])
}

// CreateQueue creates a queue (or returns the existing one) without HTTP and
// returns its URL. attrs are SQS queue attributes as in the CreateQueue API.
// It panics on an invalid name or attribute: it is a setup helper for tests
// and the demo, whose arguments are constants.
func (s *Server) CreateQueue(name string, attrs map[string]string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.sqsCreateQueueLocked(name, attrs, s.now()); aerr != nil {
		panic("awssim: create queue " + name + ": " + aerr.Error())
	}
	return s.sqsQueueURL(name)
}

// SendRaw enqueues a message body on a queue (URL, ARN or name) without
// HTTP, as EventBridge would. It panics if the queue does not exist.
func (s *Server) SendRaw(queue, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.sqs.sendLocked(queue, body, s.now()); err != nil {
		panic("awssim: " + err.Error())
	}
}

// QueueDepth returns how many messages of a queue are visible and how many
// are in flight (received, not yet deleted or visible again). An unknown
// queue has none.
func (s *Server) QueueDepth(queue string) (visible, inflight int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, aerr := s.sqs.lookupLocked(queue)
	if aerr != nil {
		return 0, 0
	}
	now := s.now()
	qu.sweepLocked(now)
	visible, inflight, _ = qu.countsLocked(now)
	return visible, inflight
}

// Messages returns the bodies of every message in a queue, whatever its
// visibility, in send order: for assertions on dead-letter queues.
func (s *Server) Messages(queue string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, aerr := s.sqs.lookupLocked(queue)
	if aerr != nil {
		return nil
	}
	qu.sweepLocked(s.now())
	out := make([]string, 0, len(qu.msgs))
	for _, m := range qu.msgs {
		out = append(out, m.body)
	}
	return out
}

package awssim

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// sqsReceiveRequest is the ReceiveMessage input.
type sqsReceiveRequest struct {
	QueueUrl            string   `json:"QueueUrl"`
	AttributeNames      []string `json:"AttributeNames"`              // deprecated, still sent by older callers
	SystemAttributes    []string `json:"MessageSystemAttributeNames"` // its replacement
	MaxNumberOfMessages *int     `json:"MaxNumberOfMessages"`
	VisibilityTimeout   *int     `json:"VisibilityTimeout"`
	WaitTimeSeconds     *int     `json:"WaitTimeSeconds"`
	MessageAttributes   []string `json:"MessageAttributeNames"`
}

// sqsWireMessage is a received message on the wire.
type sqsWireMessage struct {
	MessageId     string            `json:"MessageId"`
	ReceiptHandle string            `json:"ReceiptHandle"`
	MD5OfBody     string            `json:"MD5OfBody"`
	Body          string            `json:"Body"`
	Attributes    map[string]string `json:"Attributes,omitempty"`
	// Message attributes, when asked for by name or "All".
	MessageAttributes      map[string]sqsAttrValue `json:"MessageAttributes,omitempty"`
	MD5OfMessageAttributes string                  `json:"MD5OfMessageAttributes,omitempty"`
}

// sqsReceiveOptions is a validated sqsReceiveRequest.
type sqsReceiveOptions struct {
	max        int
	visibility *time.Duration // nil: the queue's VisibilityTimeout
	wait       *time.Duration // nil: the queue's ReceiveMessageWaitTimeSeconds
	attrs      map[string]bool
	msgAttrs   []string // requested message attribute names; "All" for all
}

func sqsParseReceive(in sqsReceiveRequest) (sqsReceiveOptions, *apiError) {
	o := sqsReceiveOptions{max: 1, attrs: map[string]bool{}}
	if in.MaxNumberOfMessages != nil {
		n := *in.MaxNumberOfMessages
		if n < 1 || n > sqsMaxBatch {
			return o, sqsInvalidParam("Value %d for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.", n)
		}
		o.max = n
	}
	if in.VisibilityTimeout != nil {
		n := *in.VisibilityTimeout
		if n < 0 || n > 43200 {
			return o, sqsInvalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: Must be between 0 and 43200, if provided.", n)
		}
		d := time.Duration(n) * time.Second
		o.visibility = &d
	}
	if in.WaitTimeSeconds != nil {
		n := *in.WaitTimeSeconds
		if n < 0 || n > 20 {
			return o, sqsInvalidParam("Value %d for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.", n)
		}
		d := time.Duration(n) * time.Second
		o.wait = &d
	}
	o.msgAttrs = in.MessageAttributes
	for _, a := range append(slices.Clone(in.AttributeNames), in.SystemAttributes...) {
		if a == "All" {
			for _, b := range sqsSystemAttrs() {
				o.attrs[b] = true
			}
			continue
		}
		o.attrs[a] = true // AWS ignores names it does not know here
	}
	return o, nil
}

// sqsSystemAttrs are the system attributes the simulator returns.
func sqsSystemAttrs() []string {
	return []string{"ApproximateReceiveCount", "SentTimestamp", "ApproximateFirstReceiveTimestamp", "SenderId"}
}

// sqsReceiveMessage serves ReceiveMessage, long polling when asked to.
//
// Visibility is judged with the server's (possibly injected) clock, but the
// wait itself is real time: the caller is a real HTTP client that sits in
// this request. The poll ends when messages are received, when the wait has
// passed, when the request's context ends, or when the server closes.
func (s *Server) sqsReceiveMessage(ctx context.Context, body []byte) (any, *apiError) {
	var in sqsReceiveRequest
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	o, aerr := sqsParseReceive(in)
	if aerr != nil {
		return nil, aerr
	}
	start := time.Now()
	for {
		s.mu.Lock()
		qu, aerr := s.sqs.lookupLocked(in.QueueUrl)
		if aerr != nil {
			s.mu.Unlock()
			return nil, aerr
		}
		now := s.now()
		msgs := s.sqsReceiveLocked(qu, o, now)
		wait := qu.cfg.wait
		if o.wait != nil {
			wait = *o.wait
		}
		remaining := wait - time.Since(start)
		if len(msgs) > 0 || remaining <= 0 || s.sqs.closed {
			s.mu.Unlock()
			return sqsReceiveResult(msgs), nil
		}
		// A message in flight or delayed becomes visible without anyone
		// telling us; look again then. With an injected clock this is a
		// harmless extra look.
		if next, ok := qu.nextVisibleLocked(now); ok && next.Sub(now) < remaining {
			remaining = max(next.Sub(now), time.Millisecond)
		}
		ready, done := qu.ready, s.sqs.done
		s.mu.Unlock()

		timer := time.NewTimer(remaining)
		select {
		case <-ready:
		case <-timer.C:
		case <-done:
		case <-ctx.Done():
			timer.Stop()
			// The client has gone; nobody reads this.
			return sqsReceiveResult(nil), nil
		}
		timer.Stop()
	}
}

func sqsReceiveResult(msgs []sqsWireMessage) any {
	return struct {
		Messages []sqsWireMessage `json:"Messages,omitempty"`
	}{msgs}
}

// nextVisibleLocked is the earliest future instant a message becomes
// visible, if any message is hidden.
func (qu *sqsQueue) nextVisibleLocked(now time.Time) (time.Time, bool) {
	var next time.Time
	for _, m := range qu.msgs {
		if m.visibleAt.After(now) && (next.IsZero() || m.visibleAt.Before(next)) {
			next = m.visibleAt
		}
	}
	return next, !next.IsZero()
}

// sqsReceiveLocked takes up to o.max visible messages, hiding each for the
// visibility timeout under a new receipt handle. A message that has already
// been received maxReceiveCount times moves to the dead-letter queue
// instead of being returned, as SQS redrive does.
func (s *Server) sqsReceiveLocked(qu *sqsQueue, o sqsReceiveOptions, now time.Time) []sqsWireMessage {
	qu.sweepLocked(now)
	vis := qu.cfg.visibility
	if o.visibility != nil {
		vis = *o.visibility
	}
	var out []sqsWireMessage
	for _, m := range slices.Clone(qu.msgs) {
		if len(out) == o.max {
			break
		}
		if m.visibleAt.After(now) {
			continue
		}
		if rp := qu.cfg.redrive; rp != nil && m.receiveCount >= rp.MaxReceiveCount {
			if dlq, ok := s.sqs.queues[sqsQueueName(rp.DeadLetterTargetArn)]; ok && dlq != qu {
				qu.removeLocked(m)
				sqsMoveToDLQLocked(dlq, m)
				continue
			}
			// With no such queue AWS keeps the message where it is.
		}
		m.receiveCount++
		if m.firstReceive.IsZero() {
			m.firstReceive = now
		}
		m.visibleAt = now.Add(vis)
		h := sqsReceiptHandle()
		m.handles = append(m.handles, h)
		qu.handles[h] = m
		out = append(out, sqsWireMessage{
			MessageId:     m.id,
			ReceiptHandle: h,
			MD5OfBody:     m.md5,
			Body:          m.body,
			Attributes:    s.sqsMessageAttrs(m, o.attrs),
		})
		if ma := selectMessageAttrs(m.attrs, o.msgAttrs); len(ma) > 0 {
			out[len(out)-1].MessageAttributes, out[len(out)-1].MD5OfMessageAttributes = ma, sqsAttrsMD5(ma)
		}
	}
	return out
}

// sqsMoveToDLQLocked puts a message on a dead-letter queue. It keeps its id,
// body and sent time (retention counts from the original enqueue, as in
// AWS) and starts over as never received.
func sqsMoveToDLQLocked(dlq *sqsQueue, m *sqsMessage) {
	dlq.msgs = append(dlq.msgs, &sqsMessage{
		id:        m.id,
		body:      m.body,
		md5:       m.md5,
		attrs:     m.attrs,
		sent:      m.sent,
		visibleAt: m.sent,
	})
	dlq.wakeLocked()
}

// sqsMessageAttrs renders the requested system attributes of a message.
func (s *Server) sqsMessageAttrs(m *sqsMessage, want map[string]bool) map[string]string {
	if len(want) == 0 {
		return nil
	}
	millis := func(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }
	all := map[string]string{
		"ApproximateReceiveCount":          strconv.Itoa(m.receiveCount),
		"SentTimestamp":                    millis(m.sent),
		"ApproximateFirstReceiveTimestamp": millis(m.firstReceive),
		"SenderId":                         s.account,
	}
	out := map[string]string{}
	for k, v := range all {
		if want[k] {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

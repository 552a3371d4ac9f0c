package awssim

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// This file holds the SQS operations other than ReceiveMessage. Request and
// response structs use the member names of the SQS JSON protocol (see the
// SDK's service/sqs/schemas); optional numbers are pointers so that an
// absent field differs from zero.

type sqsQueueURLRequest struct {
	QueueUrl string `json:"QueueUrl"`
}

type sqsQueueURLResult struct {
	QueueUrl string `json:"QueueUrl"`
}

func (s *Server) sqsCreateQueue(body []byte) (any, *apiError) {
	var in struct {
		QueueName  string            `json:"QueueName"`
		Attributes map[string]string `json:"Attributes"`
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueueName == "" {
		return nil, sqsMissingParam("QueueName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, aerr := s.sqsCreateQueueLocked(in.QueueName, in.Attributes, s.now()); aerr != nil {
		return nil, aerr
	}
	return sqsQueueURLResult{QueueUrl: s.sqsQueueURL(in.QueueName)}, nil
}

func (s *Server) sqsGetQueueURL(body []byte) (any, *apiError) {
	var in struct {
		QueueName string `json:"QueueName"`
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if in.QueueName == "" {
		return nil, sqsMissingParam("QueueName")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, ok := s.sqs.queues[in.QueueName]
	if !ok {
		return nil, sqsNoQueue()
	}
	return sqsQueueURLResult{QueueUrl: s.sqsQueueURL(qu.name)}, nil
}

func (s *Server) sqsGetQueueAttributes(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl       string   `json:"QueueUrl"`
		AttributeNames []string `json:"AttributeNames"`
	}
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		attrs, aerr := s.sqsQueueAttrsLocked(qu, in.AttributeNames, s.now())
		if aerr != nil {
			return nil, aerr
		}
		return struct {
			Attributes map[string]string `json:"Attributes,omitempty"`
		}{attrs}, nil
	})
}

func (s *Server) sqsSetQueueAttributes(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl   string            `json:"QueueUrl"`
		Attributes map[string]string `json:"Attributes"`
	}
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		cfg, aerr := sqsApplyAttrs(qu.cfg, in.Attributes)
		if aerr != nil {
			return nil, aerr
		}
		qu.cfg = cfg
		qu.modified = s.now()
		return nil, nil
	})
}

func (s *Server) sqsListQueues(body []byte) (any, *apiError) {
	var in struct {
		QueueNamePrefix string `json:"QueueNamePrefix"`
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var urls []string
	for name := range s.sqs.queues {
		if strings.HasPrefix(name, in.QueueNamePrefix) {
			urls = append(urls, s.sqsQueueURL(name))
		}
	}
	slices.Sort(urls)
	return struct {
		QueueUrls []string `json:"QueueUrls,omitempty"`
	}{urls}, nil
}

func (s *Server) sqsDeleteQueue(body []byte) (any, *apiError) {
	var in sqsQueueURLRequest
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		delete(s.sqs.queues, qu.name)
		qu.wakeLocked() // long polls on it then report QueueDoesNotExist
		return nil, nil
	})
}

// sqsPurgeQueue empties a queue. AWS allows one purge per 60 s
// (PurgeQueueInProgress); the simulator does not, to keep tests free of
// waits.
func (s *Server) sqsPurgeQueue(body []byte) (any, *apiError) {
	var in sqsQueueURLRequest
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		for _, m := range qu.msgs {
			qu.forgetLocked(m)
		}
		qu.msgs = nil
		return nil, nil
	})
}

// sqsValidBody applies AWS's rules on message bodies: present, and only the
// characters XML allows (#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD |
// #x10000-#x10FFFF).
func sqsValidBody(body string) *apiError {
	if body == "" {
		return sqsMissingParam("MessageBody")
	}
	if !utf8.ValidString(body) {
		return sqsErr(400, "InvalidMessageContents", "InvalidMessageContents", "Invalid binary character in message body.")
	}
	for _, r := range body {
		ok := r == 0x9 || r == 0xA || r == 0xD || (r >= 0x20 && r <= 0xD7FF) ||
			(r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
		if !ok {
			return sqsErr(400, "InvalidMessageContents", "InvalidMessageContents",
				"Invalid binary character '#x%X' was found in the message body.", r)
		}
	}
	return nil
}

// sendOneLocked validates and enqueues one message; delaySeconds overrides the
// queue's DelaySeconds when given.
func (qu *sqsQueue) sendOneLocked(body string, delaySeconds *int, now time.Time) (*sqsMessage, *apiError) {
	if aerr := sqsValidBody(body); aerr != nil {
		return nil, aerr
	}
	if len(body) > qu.cfg.maxSize {
		return nil, sqsInvalidParam("One or more parameters are invalid. Reason: Message must be shorter than %d bytes.", qu.cfg.maxSize)
	}
	delay := qu.cfg.delay
	if delaySeconds != nil {
		if *delaySeconds < 0 || *delaySeconds > 900 {
			return nil, sqsInvalidParam("Value %d for parameter DelaySeconds is invalid. Reason: must be between 0 and 900, if provided.", *delaySeconds)
		}
		delay = time.Duration(*delaySeconds) * time.Second
	}
	return qu.enqueueLocked(body, delay, now), nil
}

type sqsSendResult struct {
	MessageId        string `json:"MessageId"`
	MD5OfMessageBody string `json:"MD5OfMessageBody"`
}

func (s *Server) sqsSendMessage(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl     string `json:"QueueUrl"`
		MessageBody  string `json:"MessageBody"`
		DelaySeconds *int   `json:"DelaySeconds"`
	}
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		m, aerr := qu.sendOneLocked(in.MessageBody, in.DelaySeconds, s.now())
		if aerr != nil {
			return nil, aerr
		}
		return sqsSendResult{MessageId: m.id, MD5OfMessageBody: m.md5}, nil
	})
}

// deleteLocked deletes the message a receipt handle names. Any handle the
// message was ever received with works while the message exists (AWS is as
// lenient); once the message is gone, or for a handle never issued, it is
// ReceiptHandleIsInvalid.
func (qu *sqsQueue) deleteLocked(handle string) *apiError {
	m, ok := qu.handles[handle]
	if !ok {
		return sqsBadReceipt(handle)
	}
	qu.removeLocked(m)
	return nil
}

func sqsBadReceipt(handle string) *apiError {
	if handle == "" {
		return sqsMissingParam("ReceiptHandle")
	}
	// The handle itself is left out of the message: it is a credential of
	// sorts, and long.
	return sqsErr(404, "ReceiptHandleIsInvalid", "ReceiptHandleIsInvalid",
		"The input receipt handle is invalid or refers to a message that no longer exists.")
}

func (s *Server) sqsDeleteMessage(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl      string `json:"QueueUrl"`
		ReceiptHandle string `json:"ReceiptHandle"`
	}
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		qu.sweepLocked(s.now())
		return nil, qu.deleteLocked(in.ReceiptHandle)
	})
}

// sqsChangeMessageVisibility sets when a received message becomes visible
// again, counted from now; 0 makes it visible at once (and wakes long
// polls). Like AWS, it needs the message to be in flight.
func (s *Server) sqsChangeMessageVisibility(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl          string `json:"QueueUrl"`
		ReceiptHandle     string `json:"ReceiptHandle"`
		VisibilityTimeout *int   `json:"VisibilityTimeout"`
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	if in.VisibilityTimeout == nil {
		return nil, sqsMissingParam("VisibilityTimeout")
	}
	if *in.VisibilityTimeout < 0 || *in.VisibilityTimeout > 43200 {
		return nil, sqsInvalidParam("Value %d for parameter VisibilityTimeout is invalid. Reason: must be between 0 and 43200.", *in.VisibilityTimeout)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	qu, aerr := s.sqs.lookupLocked(in.QueueUrl)
	if aerr != nil {
		return nil, aerr
	}
	now := s.now()
	qu.sweepLocked(now)
	m, ok := qu.handles[in.ReceiptHandle]
	if !ok {
		return nil, sqsBadReceipt(in.ReceiptHandle)
	}
	if !m.visibleAt.After(now) {
		return nil, sqsErr(400, "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight",
			"Message is not in flight.")
	}
	m.visibleAt = now.Add(time.Duration(*in.VisibilityTimeout) * time.Second)
	if *in.VisibilityTimeout == 0 {
		qu.wakeLocked()
	}
	return nil, nil
}

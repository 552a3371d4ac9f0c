package awssim

import "time"

// sqsState is the simulated SQS: queues, messages, redrive.
type sqsState struct{}

func (q *sqsState) init() {}

// sqsHandler returns the handler of an SQS operation, nil if unknown.
func (s *Server) sqsHandler(op string) handler { return nil }

// sendLocked enqueues a message on the queue named by URL or name, as
// EventBridge would deliver it. The caller holds s.mu.
func (q *sqsState) sendLocked(queue, body string, now time.Time) error { return nil }

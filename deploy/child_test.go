package deploy_test

import (
	"context"
	"testing"
	"time"
)

// childContext bounds a child process (go build, terraform) by the test
// binary's own deadline (go test -timeout), less a margin in which the
// test still reports the child's output itself, instead of by a fixed
// guess that a loaded machine can overrun. Without a deadline, limit.
func childContext(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	deadline := time.Now().Add(limit)
	if d, ok := t.Deadline(); ok {
		deadline = d.Add(-30 * time.Second)
	}
	ctx, cancel := context.WithDeadline(t.Context(), deadline)
	t.Cleanup(cancel)
	return ctx
}

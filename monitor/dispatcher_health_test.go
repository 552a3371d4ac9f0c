package monitor

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// waitingNotifier holds every alert until released; honourCtx says whether
// it gives up when its context ends (a real notifier does).
type waitingNotifier struct {
	entered   chan struct{}
	release   chan struct{}
	honourCtx bool
}

func (n *waitingNotifier) Notify(ctx context.Context, _ Finding, _ Receipt) (Receipt, error) {
	select {
	case n.entered <- struct{}{}:
	default:
	}
	done := ctx.Done()
	if !n.honourCtx {
		done = nil
	}
	select {
	case <-n.release:
		return Receipt{}, nil
	case <-done:
		return Receipt{}, ctx.Err()
	}
}

func (n *waitingNotifier) Summarize(context.Context, Summary) error { return nil }

func runDispatcher(t *testing.T, d *Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// Liveness is about the loop turning, not about Slack answering: while a
// delivery waits (an outage, retries), the dispatcher keeps beating.
func TestDispatcherBeatsWhileDeliveryWaits(t *testing.T) {
	var beats atomic.Int64
	n := &waitingNotifier{entered: make(chan struct{}, 1), release: make(chan struct{}), honourCtx: true}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, RollupInterval: 5 * time.Millisecond,
		DeliveryTimeout: time.Hour, Heartbeat: func() { beats.Add(1) }}))
	stop := runDispatcher(t, d)
	defer stop()
	testkit.Eventually(t, "a beat as the loop starts", func() bool { return beats.Load() >= 1 })
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityCritical, Transition: Opened, Cluster: "cron"})
	<-n.entered
	before := beats.Load()
	testkit.Eventually(t, "beats while the delivery waits", func() bool { return beats.Load() >= before+3 })
	close(n.release)
}

// A delivery stuck past its own bound (DeliveryTimeout) is a wedged loop:
// the beats stop, so the health check can tell.
func TestDispatcherStopsBeatingWhenDeliveryIsStuck(t *testing.T) {
	var beats atomic.Int64
	n := &waitingNotifier{entered: make(chan struct{}, 1), release: make(chan struct{})}
	d := NewDispatcher(dispatcherOptions(t, DispatcherOptions{Notifier: n, RollupInterval: 5 * time.Millisecond,
		DeliveryTimeout: 50 * time.Millisecond, Heartbeat: func() { beats.Add(1) }}))
	stop := runDispatcher(t, d)
	defer stop()
	d.Handle(Finding{Kind: KindTaskLimit, Severity: SeverityCritical, Transition: Opened, Cluster: "cron"})
	<-n.entered
	testkit.Eventually(t, "the beats to stop", func() bool {
		b := beats.Load()
		time.Sleep(30 * time.Millisecond)
		return beats.Load() == b
	})
	close(n.release) // unstick it, so Run can end
	b := beats.Load()
	testkit.Eventually(t, "beats again once the loop turns", func() bool { return beats.Load() > b })
}

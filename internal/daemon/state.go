package daemon

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// storeCallTimeout bounds one state-store call: past it the daemon carries
// on in memory rather than hold up a poll or an alert.
const storeCallTimeout = 5 * time.Second

// buildState builds the state store ([state]) and, with DynamoDB, the
// leadership lease. With the memory backend there is no lease: one
// replica, always leading, exactly as before there was a store.
func (d *Daemon) buildState(ctx context.Context) error {
	s := d.cfg.State
	if !s.Durable() {
		d.store = monitor.NewMemoryStore()
		return nil
	}
	awsCfg, err := awsConfig(ctx, s.Region, roleOptions{})
	if err != nil {
		return fmt.Errorf("state table: %w", err)
	}
	client := dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		// A few quick retries, then the store degrades to memory: a
		// throttled table must not slow polling or alerting down.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.MaxBackoff = 200 * time.Millisecond
		})
	})
	d.table = monitor.NewDynamoStore(client, s.Table)
	d.store = monitor.NewDegradingStore(d.table, monitor.DegradingOptions{
		Name:        "DynamoDB table " + s.Table,
		Region:      s.Region,
		Findings:    lateHandler{d},
		Logger:      d.o.Logger,
		Now:         d.o.Now,
		CallTimeout: storeCallTimeout,
		// The lease is tried every renew_interval anyway; other calls
		// probe no more often while the table fails.
		ProbeInterval: s.RenewInterval.Duration,
	})
	owner := d.o.ReplicaID
	if owner == "" {
		owner = replicaID()
	}
	d.owner = owner
	d.leader = monitor.NewLeader(monitor.LeaderOptions{
		Store: d.store, Owner: owner,
		Duration: s.LeaseDuration.Duration, RenewInterval: s.RenewInterval.Duration,
		Metrics: d.metrics, Logger: d.o.Logger, Now: d.o.Now,
	})
	return nil
}

// leadership is the lease as the parts consume it: nil (always leading)
// with the memory backend.
func (d *Daemon) leadership() monitor.Leadership {
	if d.leader == nil {
		return nil
	}
	return d.leader
}

// shared is the store as the parts that coordinate replicas take it: the
// event consumer's and launch sources' claims, the dispatcher's window
// shares and storms. It is nil with the memory backend (one replica), so
// each part keeps its own in memory, exactly as before there was a store;
// a nil Store passed as any of their interfaces stays nil.
func (d *Daemon) shared() monitor.Store {
	if d.leader == nil {
		return nil
	}
	return d.store
}

// lateHandler hands the store's own monitor_error to the dispatcher, which
// is built after the store.
type lateHandler struct{ d *Daemon }

func (h lateHandler) Handle(f monitor.Finding) {
	if h.d.dispatcher != nil {
		h.d.dispatcher.Handle(f)
	}
}

// replicaID names this replica in the lease: the host name (in ECS, the
// task's) and a random suffix, so two daemons on one host differ.
func replicaID() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return host + "-" + hex.EncodeToString(b[:])
}

// startLeading takes the lease once, before the first poll, so a lone
// replica polls at once.
func (d *Daemon) startLeading(ctx context.Context) {
	if d.leader != nil {
		d.leader.Step(ctx)
	}
}

// stopLeading gives the lease up after the final summary, so a standby
// takes over at its next try.
func (d *Daemon) stopLeading(ctx context.Context) {
	if d.leader == nil {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeCallTimeout)
	defer cancel()
	d.leader.Release(rctx)
}

// leading says whether this replica does the poll-side work now (always,
// with the memory backend).
func (d *Daemon) leading() bool {
	if d.leader == nil {
		return true
	}
	_, ok := d.leader.Leading()
	return ok
}

// leaderOnly passes a producer's findings on only while this replica
// leads, for the account-wide checks (the Fargate quota), which keep their
// own incidents: a standby follows them silently, so on taking over it
// neither alerts what the leader alerted nor misses a resolution.
type leaderOnly struct {
	d    *Daemon
	sink monitor.QuotaSink
}

func (l leaderOnly) Handle(f monitor.Finding) {
	if l.d.leading() {
		l.sink.Handle(f)
	}
}

package monitor

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// failingLease is a LeaseStore that cannot be reached while down is set.
type failingLease struct {
	LeaseStore
	down bool
}

func (f *failingLease) AcquireLease(ctx context.Context, owner string, now time.Time, d time.Duration) (Lease, error) {
	if f.down {
		return Lease{}, errors.New("dynamodb: 500 InternalServerError")
	}
	return f.LeaseStore.AcquireLease(ctx, owner, now, d)
}

func newTestLeader(store LeaseStore, owner string, clock *testkit.Clock) *Leader {
	return NewLeader(LeaderOptions{Store: store, Owner: owner, Duration: 30 * time.Second, RenewInterval: 10 * time.Second, Now: clock.Now})
}

// A leader that cannot renew stops leading one renewal interval before
// its lease can be taken over; the standby takes it after it expired, under
// a higher fence, and the deposed leader does not get it back.
func TestLeaderHandOverByLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	store := NewMemoryStore()
	a, b := newTestLeader(store, "a", clock), newTestLeader(store, "b", clock)
	a.Step(ctx)
	b.Step(ctx)
	fa, okA := a.Leading()
	if _, okB := b.Leading(); !okA || okB || fa != 1 {
		t.Fatalf("a leading %v (fence %d), b leading %v; want a alone", okA, fa, okB)
	}
	// a stalls: no more renewals.
	clock.Add(19 * time.Second)
	if _, ok := a.Leading(); !ok {
		t.Error("a stopped leading before lease_duration - renew_interval")
	}
	clock.Add(2 * time.Second) // 21s: a stands down, its lease still runs
	if _, ok := a.Leading(); ok {
		t.Error("a still leads 21s after its last renewal (30s lease, 10s renewals)")
	}
	if a.Standby() {
		t.Error("a stands by although no other replica holds the lease")
	}
	b.Step(ctx)
	if _, ok := b.Leading(); ok {
		t.Fatal("b took a lease that had not expired")
	}
	if !b.Standby() {
		t.Error("b, refused the lease a holds, does not stand by")
	}
	clock.Add(10 * time.Second) // 31s: expired
	b.Step(ctx)
	fb, ok := b.Leading()
	if !ok || fb != 2 || b.Standby() {
		t.Fatalf("b after expiry: leading %v, fence %d, standby %v; want fence 2", ok, fb, b.Standby())
	}
	a.Step(ctx)
	if _, ok := a.Leading(); ok || !a.Standby() {
		t.Errorf("a renewed a lease b holds (leading %v, standby %v)", ok, a.Standby())
	}
}

// A write refused for its fence stands the leader down at once.
func TestLeaderDeposed(t *testing.T) {
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	l := newTestLeader(NewMemoryStore(), "a", clock)
	l.Step(context.Background())
	fence, ok := l.Leading()
	if !ok {
		t.Fatal("not leading")
	}
	l.Deposed(fence + 1) // an older write of another fence: nothing
	if _, ok := l.Leading(); !ok {
		t.Error("deposed by another fence's refusal")
	}
	if l.Standby() {
		t.Error("stands by after another fence's refusal")
	}
	l.Deposed(fence)
	if _, ok := l.Leading(); ok || !l.Standby() {
		t.Errorf("after its fence was refused: leading %v, standby %v", ok, l.Standby())
	}
}

// The store unreachable: the leader keeps leading, a standby keeps
// standing by, and a replica that never reached it leads (never silence).
func TestLeaderKeepsRoleWhileStoreDown(t *testing.T) {
	ctx := context.Background()
	clock := testkit.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	store := &failingLease{LeaseStore: NewMemoryStore()}
	a, b := newTestLeader(store, "a", clock), newTestLeader(store, "b", clock)
	a.Step(ctx)
	b.Step(ctx)
	store.down = true
	for range 6 { // a minute of failed renewals
		clock.Add(10 * time.Second)
		a.Step(ctx)
		b.Step(ctx)
	}
	if _, ok := a.Leading(); !ok {
		t.Error("the leader stopped leading while the store was down")
	}
	if _, ok := b.Leading(); ok || !b.Standby() {
		t.Error("the standby started leading, or stopped standing by, while the store was down")
	}
	fresh := newTestLeader(store, "c", clock)
	fresh.Step(ctx)
	if _, ok := fresh.Leading(); !ok {
		t.Error("a replica that never reached the store does not lead")
	}
}

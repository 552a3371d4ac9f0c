package monitor

import (
	"context"
	"errors"
	"time"
)

// What outlives a process and is shared between replicas. The Store is
// the only thing that knows about persistence; the memory one keeps
// today's single-replica behaviour, the DynamoDB one lets a restarted or
// second daemon carry on where the first stopped. Consumers take the
// small interface they need.

// IncidentStore keeps each producer's open incidents as one snapshot (one
// write per poll at most) and the Slack receipt of each incident's last
// alert (one write per delivered alert), so a resolution after a restart
// or a hand-over edits the original message.
type IncidentStore interface {
	// LoadIncidents returns the open incidents saved under scope.
	LoadIncidents(ctx context.Context, scope string) ([]IncidentRecord, error)
	// SaveIncidents replaces the snapshot of scope. fence is the writer's
	// lease version: a snapshot written under a newer lease is never
	// overwritten (ErrFenced), so a deposed leader cannot undo its
	// successor's work.
	SaveIncidents(ctx context.Context, scope string, fence int64, recs []IncidentRecord) error
}

// ReceiptStore keeps the receipt of the last message of each incident.
type ReceiptStore interface {
	Receipt(ctx context.Context, key string) (Receipt, bool, error)
	SaveReceipt(ctx context.Context, key string, r Receipt, expires time.Time) error
	DeleteReceipt(ctx context.Context, key string) error
}

// EventClaims de-duplicates event alerts between replicas: the replica
// that claims a run's key alerts it; a claim not finished in time (its
// holder died) may be taken again, and a released one at once.
type EventClaims interface {
	// Claim takes key for owner until now+hold. It answers ClaimTaken,
	// ClaimDone (already alerted) or ClaimHeld (another replica is on it).
	Claim(ctx context.Context, key, owner string, now time.Time, hold time.Duration) (ClaimResult, error)
	// Finish marks key handled, remembered until expires.
	Finish(ctx context.Context, key, owner string, expires time.Time) error
	// Release gives a claim up so another delivery may try again.
	Release(ctx context.Context, key, owner string) error
}

// WindowShares carries the standbys' parts of the summary window to the
// leader, which alone sends the summary (dispatcher_shares.go).
type WindowShares interface {
	// AddWindowShare adds one share to those waiting for the leader.
	AddWindowShare(ctx context.Context, s WindowShare) error
	// TakeWindowShares returns the waiting shares and removes them.
	TakeWindowShares(ctx context.Context) ([]WindowShare, error)
}

// windowSharesMax bounds the shares waiting (the oldest are dropped): with
// no leader taking them for a long while, the item must stay bounded.
const windowSharesMax = 64

// LeaseStore keeps the leadership lease.
type LeaseStore interface {
	// AcquireLease takes or renews the lease for owner until now+d. It
	// succeeds when the lease is free, expired at now, or owner's; the
	// version grows with every change of holder. ErrLeaseHeld: another
	// owner holds it.
	AcquireLease(ctx context.Context, owner string, now time.Time, d time.Duration) (Lease, error)
	// ReleaseLease gives the lease l up (a clean shutdown), so a standby
	// need not wait for it to expire; the version is kept.
	ReleaseLease(ctx context.Context, l Lease) error
}

// Store is every part of the state store; MemoryStore and DynamoStore
// implement it.
type Store interface {
	IncidentStore
	ReceiptStore
	EventClaims
	WindowShares
	RunHistoryStore
	StormStore
	LeaseStore
}

// Errors the stores answer with; any other error means the store could
// not be reached or refused the call.
var (
	ErrFenced    = errors.New("a newer leader has written this state")
	ErrLeaseHeld = errors.New("the lease is held by another replica")
)

// ClaimResult is what Claim found.
type ClaimResult string

// Claim results.
const (
	ClaimTaken ClaimResult = "taken"
	ClaimDone  ClaimResult = "done"
	ClaimHeld  ClaimResult = "held"
)

// Lease is the leadership lease as its holder took it.
type Lease struct {
	Owner   string
	Version int64 // the fence: grows with every change of holder
	Expires time.Time
}

// IncidentRecord is one open incident as stored: enough to carry it on.
type IncidentRecord struct {
	Obs          Observation `json:"obs"`
	Since        time.Time   `json:"since"`
	Peak         int         `json:"peak"`
	Tasks        []string    `json:"tasks,omitempty"`
	LastNotified time.Time   `json:"last_notified"`
}

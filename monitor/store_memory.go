package monitor

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is the embedded store: one replica, nothing survives a
// restart. It is also what a DynamoDB-backed daemon falls back on while
// the table cannot be reached (DegradingStore). Safe for concurrent use.
type MemoryStore struct {
	mu        sync.Mutex
	incidents map[string]memIncidents
	receipts  map[string]memReceipt
	claims    map[string]memClaim
	shares    []WindowShare
	runs      map[string][]StoredRun
	storms    []byte // JSON, as the durable store keeps them (store_memory_storms.go)
	lease     Lease
}

type memIncidents struct {
	fence int64
	recs  []IncidentRecord
}

type memReceipt struct {
	r       Receipt
	expires time.Time
}

type memClaim struct {
	owner string
	done  bool
	until time.Time // the hold, or (done) how long it is remembered
}

// memoryClaimsMax bounds remembered claims; forgetting one early only
// risks a duplicate alert, never a lost one.
const memoryClaimsMax = 100_000

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{incidents: map[string]memIncidents{}, receipts: map[string]memReceipt{}, claims: map[string]memClaim{},
		runs: map[string][]StoredRun{}}
}

// LoadIncidents implements IncidentStore.
func (m *MemoryStore) LoadIncidents(_ context.Context, scope string) ([]IncidentRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.incidents[scope].recs), nil
}

// SaveIncidents implements IncidentStore.
func (m *MemoryStore) SaveIncidents(_ context.Context, scope string, fence int64, recs []IncidentRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if cur, ok := m.incidents[scope]; ok && cur.fence > fence {
		return ErrFenced
	}
	m.incidents[scope] = memIncidents{fence: fence, recs: slices.Clone(recs)}
	return nil
}

// Receipt implements ReceiptStore.
func (m *MemoryStore) Receipt(_ context.Context, key string) (Receipt, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.receipts[key]
	return r.r, ok, nil
}

// SaveReceipt implements ReceiptStore. Receipts past their expiry are
// dropped as others are saved.
func (m *MemoryStore) SaveReceipt(_ context.Context, key string, r Receipt, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, v := range m.receipts {
		if v.expires.Before(expires.Add(-receiptTTL)) {
			delete(m.receipts, k)
		}
	}
	m.receipts[key] = memReceipt{r: r, expires: expires}
	return nil
}

// DeleteReceipt implements ReceiptStore.
func (m *MemoryStore) DeleteReceipt(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.receipts, key)
	return nil
}

// Claim implements EventClaims.
func (m *MemoryStore) Claim(_ context.Context, key, owner string, now time.Time, hold time.Duration) (ClaimResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.claims) >= memoryClaimsMax {
		for k, c := range m.claims {
			if c.until.Before(now) || len(m.claims) >= memoryClaimsMax {
				delete(m.claims, k)
			}
		}
	}
	c, ok := m.claims[key]
	switch {
	case ok && c.done && c.until.After(now):
		return ClaimDone, nil
	case ok && !c.done && c.owner != owner && c.until.After(now):
		return ClaimHeld, nil
	}
	m.claims[key] = memClaim{owner: owner, until: now.Add(hold)}
	return ClaimTaken, nil
}

// Finish implements EventClaims.
func (m *MemoryStore) Finish(_ context.Context, key, owner string, expires time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claims[key] = memClaim{owner: owner, done: true, until: expires}
	return nil
}

// Release implements EventClaims.
func (m *MemoryStore) Release(_ context.Context, key, owner string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if c, ok := m.claims[key]; ok && !c.done && c.owner == owner {
		delete(m.claims, key)
	}
	return nil
}

// AcquireLease implements LeaseStore.
func (m *MemoryStore) AcquireLease(_ context.Context, owner string, now time.Time, d time.Duration) (Lease, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.lease
	switch {
	case l.Owner == owner:
	case l.Owner == "" || !l.Expires.After(now):
		l.Version++
	default:
		return Lease{}, ErrLeaseHeld
	}
	l.Owner, l.Expires = owner, now.Add(d)
	m.lease = l
	return l, nil
}

// ReleaseLease implements LeaseStore.
func (m *MemoryStore) ReleaseLease(_ context.Context, l Lease) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lease.Owner == l.Owner && m.lease.Version == l.Version {
		m.lease.Owner, m.lease.Expires = "", time.Time{}
	}
	return nil
}

// AddWindowShare implements WindowShares.
func (m *MemoryStore) AddWindowShare(_ context.Context, s WindowShare) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.shares = addShare(m.shares, s)
	return nil
}

// TakeWindowShares implements WindowShares.
func (m *MemoryStore) TakeWindowShares(context.Context) ([]WindowShare, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.shares
	m.shares = nil
	return s, nil
}

// LoadRuns implements RunHistoryStore.
func (m *MemoryStore) LoadRuns(_ context.Context, cluster string) ([]StoredRun, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.runs[cluster]), nil
}

// AddRuns implements RunHistoryStore.
func (m *MemoryStore) AddRuns(_ context.Context, cluster string, runs []StoredRun) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs[cluster] = mergeRuns(m.runs[cluster], runs)
	return nil
}

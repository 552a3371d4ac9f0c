package monitor

import (
	"sync"
	"time"
)

// QuotaReading is the last Fargate vCPU usage and quota of one class in
// one account and region, as plain values for the status page.
type QuotaReading struct {
	Account string // the account id, "" until learnt
	Region  string
	Class   string // "OnDemand" or "Spot"
	Used    float64
	Quota   float64
	// Severity is the level the usage is at (warn_percent,
	// critical_percent), "" below both.
	Severity Severity
	At       time.Time // when Used was read
}

// quotaReadings holds a watcher's last readings for readers on other
// goroutines (the status page) while its Run goroutine replaces them.
type quotaReadings struct {
	mu   sync.Mutex
	last []QuotaReading
}

func (r *quotaReadings) set(rs []QuotaReading) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = rs
}

func (r *quotaReadings) get() []QuotaReading {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]QuotaReading(nil), r.last...)
}

// Readings are the last check's readings, one per class whose usage and
// quota are both known, in FargateClasses order; none before the first
// check. Safe to call while Run runs.
func (q *Quota) Readings() []QuotaReading { return q.readings.get() }

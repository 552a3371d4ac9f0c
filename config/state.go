package config

// State selects where the daemon keeps what must outlive a restart and be
// shared between replicas: open incidents with their Slack receipts, event
// claims and the leadership lease.
type State struct {
	// Backend is "memory" (one replica; everything is lost on restart) or
	// "dynamodb".
	Backend string `toml:"backend"`
	// Table and Region name the DynamoDB table (region defaults to the
	// first cluster's).
	Table  string `toml:"table"`
	Region string `toml:"region"`
	// LeaseDuration is how long a leader's lease lasts without renewal;
	// RenewInterval is how often the leader renews it (and a standby tries
	// to take it).
	LeaseDuration Duration `toml:"lease_duration"`
	RenewInterval Duration `toml:"renew_interval"`
}

// State backends.
const (
	StateMemory   = "memory"
	StateDynamoDB = "dynamodb"
)

// Durable reports whether state is kept in DynamoDB.
func (s State) Durable() bool { return s.Backend == StateDynamoDB }

func (v *validator) state() {
	s := v.c.State
	switch s.Backend {
	case StateMemory:
		return
	case StateDynamoDB:
	default:
		v.bad("state.backend", `must be "memory" or "dynamodb"`)
		return
	}
	if s.Table == "" {
		v.bad("state.table", `is required with backend = "dynamodb"`)
	}
	if s.Region == "" || !regionPattern().MatchString(s.Region) {
		v.bad("state.region", `must be an AWS region such as "ap-northeast-1"`)
	}
	if s.LeaseDuration.Duration <= 0 {
		v.bad("state.lease_duration", "must be greater than 0")
	}
	if s.RenewInterval.Duration <= 0 || s.RenewInterval.Duration*2 >= s.LeaseDuration.Duration {
		v.bad("state.renew_interval", "must be greater than 0 and less than half of lease_duration, so one missed renewal does not lose the lease")
	}
}

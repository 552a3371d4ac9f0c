package awssim

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sqsQueueConfig is a queue's settable attributes, parsed.
type sqsQueueConfig struct {
	visibility time.Duration // VisibilityTimeout
	retention  time.Duration // MessageRetentionPeriod
	wait       time.Duration // ReceiveMessageWaitTimeSeconds
	delay      time.Duration // DelaySeconds
	maxSize    int           // MaximumMessageSize
	redrive    *sqsRedrivePolicy
	// extra holds settable attributes the simulator stores but does not act
	// on (Policy, KmsMasterKeyId, ...), returned as given.
	extra map[string]string
}

// sqsRedrivePolicy is the RedrivePolicy attribute.
type sqsRedrivePolicy struct {
	DeadLetterTargetArn string `json:"deadLetterTargetArn"`
	MaxReceiveCount     int    `json:"maxReceiveCount"`
}

// sqsDefaultConfig has AWS's defaults.
func sqsDefaultConfig() sqsQueueConfig {
	return sqsQueueConfig{
		visibility: 30 * time.Second,
		retention:  4 * 24 * time.Hour,
		maxSize:    262144,
		extra:      map[string]string{},
	}
}

// sqsPassthroughAttrs are settable attributes stored verbatim. (Functions, not
// package variables: the package holds no mutable state.)
func sqsPassthroughAttrs() []string {
	return []string{
		"Policy", "KmsMasterKeyId", "KmsDataKeyReusePeriodSeconds", "SqsManagedSseEnabled",
		"RedriveAllowPolicy", "FifoQueue", "ContentBasedDeduplication", "DeduplicationScope",
		"FifoThroughputLimit",
	}
}

// sqsSecondsRange is the AWS range of a settable integer attribute.
func sqsSecondsRange(name string) (lo, hi int, ok bool) {
	switch name {
	case "VisibilityTimeout":
		return 0, 43200, true
	case "MessageRetentionPeriod":
		return 60, 1209600, true
	case "ReceiveMessageWaitTimeSeconds":
		return 0, 20, true
	case "DelaySeconds":
		return 0, 900, true
	case "MaximumMessageSize":
		return 1024, 262144, true
	}
	return 0, 0, false
}

// sqsApplyAttrs validates attributes and applies them to a copy of cfg.
func sqsApplyAttrs(cfg sqsQueueConfig, attrs map[string]string) (sqsQueueConfig, *apiError) {
	cfg.extra = maps.Clone(cfg.extra)
	for name, v := range attrs {
		if lo, hi, ok := sqsSecondsRange(name); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || n < lo || n > hi {
				return cfg, sqsErr(400, "InvalidAttributeValue", "InvalidAttributeValue",
					"Invalid value for the parameter %s: must be an integer from %d to %d.", name, lo, hi)
			}
			d := time.Duration(n) * time.Second
			switch name {
			case "VisibilityTimeout":
				cfg.visibility = d
			case "MessageRetentionPeriod":
				cfg.retention = d
			case "ReceiveMessageWaitTimeSeconds":
				cfg.wait = d
			case "DelaySeconds":
				cfg.delay = d
			case "MaximumMessageSize":
				cfg.maxSize = n
			}
			continue
		}
		switch {
		case name == "RedrivePolicy":
			if v == "" {
				cfg.redrive = nil // AWS removes the policy when set to ""
				continue
			}
			rp, aerr := sqsParseRedrive(v)
			if aerr != nil {
				return cfg, aerr
			}
			cfg.redrive = rp
		case slices.Contains(sqsPassthroughAttrs(), name):
			cfg.extra[name] = v
		default:
			return cfg, sqsErr(400, "InvalidAttributeName", "InvalidAttributeName",
				"Unknown Attribute %s.", name)
		}
	}
	return cfg, nil
}

// sqsParseRedrive parses a RedrivePolicy. AWS accepts maxReceiveCount as a
// JSON number or a string holding one.
func sqsParseRedrive(v string) (*sqsRedrivePolicy, *apiError) {
	var raw struct {
		DeadLetterTargetArn string          `json:"deadLetterTargetArn"`
		MaxReceiveCount     json.RawMessage `json:"maxReceiveCount"`
	}
	bad := sqsErr(400, "InvalidAttributeValue", "InvalidAttributeValue",
		"Value %s for parameter RedrivePolicy is invalid. Reason: Redrive policy is not a valid JSON map with deadLetterTargetArn and maxReceiveCount.", v)
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, bad
	}
	n, err := strconv.Atoi(strings.Trim(string(raw.MaxReceiveCount), `"`))
	if err != nil || n < 1 || n > 1000 || !strings.HasPrefix(raw.DeadLetterTargetArn, "arn:aws:sqs:") {
		return nil, bad
	}
	return &sqsRedrivePolicy{DeadLetterTargetArn: raw.DeadLetterTargetArn, MaxReceiveCount: n}, nil
}

// sqsValidQueueName is AWS's rule: 1 to 80 alphanumerics, hyphens and
// underscores, with an optional ".fifo" suffix.
func sqsValidQueueName(name string) bool {
	base := strings.TrimSuffix(name, ".fifo")
	if len(base) < 1 || len(base) > 80 {
		return false
	}
	for _, r := range base {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// sqsCreateQueueLocked creates a queue, or returns the existing one when the
// given attributes agree with it, as AWS does.
func (s *Server) sqsCreateQueueLocked(name string, attrs map[string]string, now time.Time) (*sqsQueue, *apiError) {
	if !sqsValidQueueName(name) {
		return nil, sqsInvalidParam("Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length")
	}
	if qu, ok := s.sqs.queues[name]; ok {
		want, aerr := sqsApplyAttrs(qu.cfg, attrs)
		if aerr != nil {
			return nil, aerr
		}
		if !sqsSameConfig(want, qu.cfg) {
			return nil, sqsErr(400, "QueueNameExists", "QueueAlreadyExists",
				"A queue already exists with the same name and a different value for attribute(s)")
		}
		return qu, nil
	}
	cfg, aerr := sqsApplyAttrs(sqsDefaultConfig(), attrs)
	if aerr != nil {
		return nil, aerr
	}
	qu := &sqsQueue{
		name:     name,
		cfg:      cfg,
		created:  now,
		modified: now,
		handles:  map[string]*sqsMessage{},
		ready:    make(chan struct{}),
	}
	s.sqs.queues[name] = qu
	return qu, nil
}

func sqsSameConfig(a, b sqsQueueConfig) bool {
	if a.visibility != b.visibility || a.retention != b.retention || a.wait != b.wait ||
		a.delay != b.delay || a.maxSize != b.maxSize || !maps.Equal(a.extra, b.extra) {
		return false
	}
	if (a.redrive == nil) != (b.redrive == nil) {
		return false
	}
	return a.redrive == nil || *a.redrive == *b.redrive
}

// sqsAllQueueAttrs lists the attributes GetQueueAttributes computes or
// stores, for "All" and for rejecting unknown names.
func sqsAllQueueAttrs() []string {
	return append([]string{
		"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
		"ApproximateNumberOfMessagesDelayed", "CreatedTimestamp", "LastModifiedTimestamp",
		"QueueArn", "VisibilityTimeout", "MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds",
		"DelaySeconds", "MaximumMessageSize", "RedrivePolicy",
	}, sqsPassthroughAttrs()...)
}

// sqsQueueAttrsLocked renders the requested attributes; attributes that are
// not set (RedrivePolicy, Policy, ...) are left out as AWS does.
func (s *Server) sqsQueueAttrsLocked(qu *sqsQueue, names []string, now time.Time) (map[string]string, *apiError) {
	want := map[string]bool{}
	for _, n := range names {
		switch {
		case n == "All":
			for _, a := range sqsAllQueueAttrs() {
				want[a] = true
			}
		case slices.Contains(sqsAllQueueAttrs(), n):
			want[n] = true
		default:
			return nil, sqsErr(400, "InvalidAttributeName", "InvalidAttributeName", "Unknown Attribute %s.", n)
		}
	}
	qu.sweepLocked(now)
	visible, inflight, delayed := qu.countsLocked(now)
	secs := func(d time.Duration) string { return strconv.Itoa(int(d / time.Second)) }
	all := map[string]string{
		"ApproximateNumberOfMessages":           strconv.Itoa(visible),
		"ApproximateNumberOfMessagesNotVisible": strconv.Itoa(inflight),
		"ApproximateNumberOfMessagesDelayed":    strconv.Itoa(delayed),
		"CreatedTimestamp":                      strconv.FormatInt(qu.created.Unix(), 10),
		"LastModifiedTimestamp":                 strconv.FormatInt(qu.modified.Unix(), 10),
		"QueueArn":                              s.sqsQueueARN(qu.name),
		"VisibilityTimeout":                     secs(qu.cfg.visibility),
		"MessageRetentionPeriod":                secs(qu.cfg.retention),
		"ReceiveMessageWaitTimeSeconds":         secs(qu.cfg.wait),
		"DelaySeconds":                          secs(qu.cfg.delay),
		"MaximumMessageSize":                    strconv.Itoa(qu.cfg.maxSize),
	}
	if qu.cfg.redrive != nil {
		b, _ := json.Marshal(qu.cfg.redrive) // a struct of a string and an int cannot fail
		all["RedrivePolicy"] = string(b)
	}
	maps.Copy(all, qu.cfg.extra)
	out := map[string]string{}
	for n := range want {
		if v, ok := all[n]; ok {
			out[n] = v
		}
	}
	return out, nil
}

package awssim

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Refused launches. When a rule or schedule fires and its launch is
// refused, the simulator does what AWS does around it (docs/AWS-NOTES.md
// §7):
//   - RunTask was called and failed, or returned no task: a CloudTrail
//     RunTask record ("AWS API Call via CloudTrail") goes to the routed
//     task-event queue, as the forwarding rule would deliver it;
//   - a rule whose target call failed counts one AWS/Events
//     FailedInvocations datapoint at the fire minute;
//   - a schedule with a dead-letter queue whose target call failed sends
//     its dead-letter message (attributes as the Scheduler guide documents).
// A full vCPU quota makes RunTask succeed with failures[] and no task: a
// CloudTrail record only (no FailedInvocations, no dead letter).

// LaunchRefusal makes the launches of one rule or schedule fail.
type LaunchRefusal struct {
	Code    string // RunTask error code, e.g. "InvalidParameterException"
	Message string
	// BeforeRunTask: the service could not call RunTask at all (its role
	// cannot be assumed): no CloudTrail record is written.
	BeforeRunTask bool
	// Times refuses this many launches, then stops; 0 = until removed.
	Times int
	used  int
}

// fargateVCPUReason is the failure reason RunTask gives when the account's
// Fargate vCPU quota is reached (testdata/cloudtrail names its source).
const fargateVCPUReason = "You've reached the limit on the number of vCPUs you can run concurrently"

// Fargate classes the simulator keeps usage and quotas for.
const (
	FargateOnDemand = "OnDemand"
	FargateSpot     = "Spot"
)

// Default quotas when a test sets none (an arbitrary, roomy account).
const defaultFargateQuota = 1000

type launchState struct {
	refusals   map[string]*LaunchRefusal    // rule or schedule name
	quotas     map[string]float64           // class -> vCPU quota
	baseUsage  map[string]float64           // class -> vCPU used outside the simulated clusters
	failedInv  map[string]map[int64]float64 // rule -> minute (unix) -> failed invocations
	trailCount int
}

func (l *launchState) init() {
	l.refusals = map[string]*LaunchRefusal{}
	l.quotas = map[string]float64{FargateOnDemand: defaultFargateQuota, FargateSpot: defaultFargateQuota}
	l.baseUsage = map[string]float64{}
	l.failedInv = map[string]map[int64]float64{}
}

// RefuseLaunches makes the launches of the rule or schedule called name
// fail with r until the returned function is called (or r.Times is used).
func (s *Server) RefuseLaunches(name string, r LaunchRefusal) (remove func()) {
	rp := &r
	s.mu.Lock()
	s.launch.refusals[name] = rp
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.launch.refusals[name] == rp {
			delete(s.launch.refusals, name)
		}
	}
}

// SetFargateQuota sets the account's Fargate vCPU quota of a class
// (FargateOnDemand or FargateSpot), as Service Quotas reports it.
func (s *Server) SetFargateQuota(class string, vcpu float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.launch.quotas[class] = vcpu
}

// SetFargateBaseUsage sets the vCPU the account uses outside the
// simulated clusters (other services, other teams).
func (s *Server) SetFargateBaseUsage(class string, vcpu float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.launch.baseUsage[class] = vcpu
}

// SetTaskDefinitionCPU sets the CPU units of a family's latest revision
// (task definitions registered through the Go API default to 256).
func (s *Server) SetTaskDefinitionCPU(family, units string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	revs := s.ecs.families[family]
	if len(revs) == 0 {
		return fmt.Errorf("set CPU of task definition %q: no such family", family)
	}
	revs[len(revs)-1].wire.Cpu = units
	return nil
}

// FargateUsage is the vCPU in use of a class: the base usage plus every
// Fargate task not yet stopped.
func (s *Server) FargateUsage(class string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fargateUsageLocked(class)
}

// CloudTrailRecords counts the RunTask records written (a test hook).
func (s *Server) CloudTrailRecords() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.launch.trailCount
}

func (s *Server) fargateUsageLocked(class string) float64 {
	used := s.launch.baseUsage[class]
	if class != FargateOnDemand {
		return used // the simulator's tasks are all On-Demand Fargate
	}
	for _, t := range s.ecs.tasks {
		if t.removed || t.lastStatus == "STOPPED" || t.launchType != "FARGATE" {
			continue
		}
		used += taskVCPU(t.def)
	}
	return used
}

func taskVCPU(d *ecsTaskDef) float64 {
	units, err := strconv.ParseFloat(d.cpuOrDefault(), 64)
	if err != nil {
		return 0.25
	}
	return units / 1024
}

// launchLocked starts a fired target's tasks, or refuses the launch as
// AWS would and leaves the traces AWS leaves.
func (s *Server) launchLocked(f firing, t fireTarget, at, now time.Time) []string {
	req := runTaskRequest{Cluster: t.arn, Count: 1, StartedBy: f.startedBy, LaunchType: "FARGATE"}
	if t.ecs != nil {
		req.TaskDefinition = t.ecs.TaskDefinitionArn
		req.Group = t.ecs.Group
		if t.ecs.TaskCount != nil && *t.ecs.TaskCount > 0 {
			req.Count = int(*t.ecs.TaskCount)
		}
		if t.ecs.LaunchType != "" {
			req.LaunchType = t.ecs.LaunchType
		}
	}
	if r := s.launch.refusals[f.name]; r != nil {
		r.used++
		if r.Times > 0 && r.used >= r.Times {
			delete(s.launch.refusals, f.name)
		}
		if !r.BeforeRunTask {
			s.cloudTrailLocked(req, r.Code, r.Message, nil, at, now)
		}
		if f.rule {
			s.countFailedInvocationLocked(f.name, at)
		} else if f.dlq != "" {
			s.deadLetterLocked(f, t, r, at, now)
		}
		return nil
	}
	if d := s.taskDefLocked(req.TaskDefinition); d != nil && req.LaunchType == "FARGATE" {
		need := taskVCPU(d) * float64(req.Count)
		if s.fargateUsageLocked(FargateOnDemand)+need > s.launch.quotas[FargateOnDemand] {
			s.cloudTrailLocked(req, "", "", []runTaskFailure{{Arn: t.arn, Reason: fargateVCPUReason}}, at, now)
			return nil
		}
	}
	return s.runTargetLocked(t, f.startedBy, at)
}

type runTaskRequest struct {
	Cluster        string `json:"cluster"`
	TaskDefinition string `json:"taskDefinition"`
	Count          int    `json:"count"`
	StartedBy      string `json:"startedBy"`
	Group          string `json:"group,omitempty"`
	LaunchType     string `json:"launchType"`
}

type runTaskFailure struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
}

// cloudTrailLocked sends a CloudTrail RunTask record, as EventBridge
// delivers it, to the routed task-event queue.
func (s *Server) cloudTrailLocked(req runTaskRequest, code, message string, failures []runTaskFailure, at, now time.Time) {
	e := &s.ecs
	if e.eventQueue == "" {
		return
	}
	invoker := "events.amazonaws.com"
	if strings.HasPrefix(req.StartedBy, startedBySchedule) {
		invoker = "scheduler.amazonaws.com"
	}
	detail := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{
			"type":        "AssumedRole",
			"principalId": "AROAEXAMPLEROLEID:" + e.hexID(8),
			"arn":         "arn:aws:sts::" + s.account + ":assumed-role/ecsEventsRole/" + e.hexID(8),
			"accountId":   s.account,
			"invokedBy":   invoker,
		},
		"eventTime":          at.UTC().Format(time.RFC3339),
		"eventSource":        "ecs.amazonaws.com",
		"eventName":          "RunTask",
		"awsRegion":          s.region,
		"sourceIPAddress":    invoker,
		"userAgent":          invoker,
		"requestParameters":  req,
		"requestID":          e.uuid(),
		"eventID":            e.uuid(),
		"readOnly":           false,
		"eventType":          "AwsApiCall",
		"managementEvent":    true,
		"recipientAccountId": s.account,
		"eventCategory":      "Management",
	}
	if code != "" {
		detail["errorCode"], detail["errorMessage"] = code, message
		detail["responseElements"] = nil
	} else {
		detail["responseElements"] = map[string]any{"tasks": []any{}, "failures": failures}
	}
	if _, ok := s.sendEventLocked(map[string]any{
		"version": "0", "id": e.uuid(), "detail-type": "AWS API Call via CloudTrail", "source": "aws.ecs",
		"account": s.account, "time": at.UTC().Format(time.RFC3339), "region": s.region,
		"resources": []string{}, "detail": detail,
	}, now); ok {
		s.launch.trailCount++
	}
}

func (s *Server) countFailedInvocationLocked(rule string, at time.Time) {
	m := s.launch.failedInv[rule]
	if m == nil {
		m = map[int64]float64{}
		s.launch.failedInv[rule] = m
	}
	m[at.Truncate(time.Minute).Unix()]++
}

// failedInvocations sums a rule's FailedInvocations per period in
// [start, end), one value per period with any.
func (s *Server) failedInvocationsLocked(rule string, start, end time.Time, period time.Duration) (ts []time.Time, vs []float64) {
	buckets := map[int64]float64{}
	for minute, n := range s.launch.failedInv[rule] {
		t := time.Unix(minute, 0)
		if t.Before(start) || !t.Before(end) {
			continue
		}
		b := start.Add(t.Sub(start) / period * period)
		buckets[b.Unix()] += n
	}
	for b, n := range buckets {
		ts, vs = append(ts, time.Unix(b, 0).UTC()), append(vs, n)
	}
	return ts, vs
}

// deadLetterLocked sends a schedule's dead-letter message: the target's
// input as the body and the documented attributes.
func (s *Server) deadLetterLocked(f firing, t fireTarget, r *LaunchRefusal, at, now time.Time) {
	code, msg := r.Code, r.Message
	if r.BeforeRunTask && code == "" {
		code = "AccessDeniedException"
	}
	attrs := map[string]string{
		"ERROR_CODE":                code,
		"ERROR_MESSAGE":             msg,
		"EXECUTION_ID":              s.ecs.uuid(),
		"EXHAUSTED_RETRY_CONDITION": "MaximumRetryAttempts",
		"IS_PAYLOAD_TRUNCATED":      "false",
		"RETRY_ATTEMPTS":            "0",
		"SCHEDULED_TIME":            at.UTC().Format(time.RFC3339),
		"SCHEDULE_ARN":              f.arn,
		"TARGET_ARN":                t.arn,
	}
	queue := f.dlq[strings.LastIndex(f.dlq, ":")+1:]
	if err := s.sqs.sendWithAttrsLocked(queue, "{}", attrs, now); err != nil {
		s.ecs.sendFailures++
	}
}

func (s *Server) queueARN(ref string) string {
	return s.sqsQueueARN(ref[strings.LastIndex(ref, "/")+1:])
}

package awssim

import (
	"sort"
	"strconv"
	"strings"
	"time"
)

// eventsState is the simulated EventBridge (rules, targets) and EventBridge
// Scheduler (schedule groups, schedules). Everything here is guarded by
// Server.mu.
type eventsState struct {
	rules     map[string]*ebRule // by name (default event bus only)
	groups    map[string]time.Time
	schedules map[string]*schedSchedule // by group + "/" + name
	// skip holds rule or schedule names whose next fire is swallowed: the
	// service "fired" but no task started (FireDue).
	skip map[string]int
}

func (e *eventsState) init() {
	e.rules = map[string]*ebRule{}
	e.groups = map[string]time.Time{"default": {}}
	e.schedules = map[string]*schedSchedule{}
	e.skip = map[string]int{}
}

// ebRule is one EventBridge rule on the default bus.
type ebRule struct {
	name, expr, pattern, state, description string
	targets                                 []ebTarget
	// lastFire is the last fire time FireDue handled; zero = none yet, in
	// which case firing starts from created.
	created, lastFire time.Time
}

// ebTarget is one rule target; only the fields a scheduled ECS task uses.
type ebTarget struct {
	ID            string           `json:"Id"`
	Arn           string           `json:"Arn"`
	RoleArn       string           `json:"RoleArn,omitempty"`
	EcsParameters *ecsTargetParams `json:"EcsParameters,omitempty"`
}

// ecsTargetParams is EcsParameters as both services spell it.
type ecsTargetParams struct {
	TaskDefinitionArn string `json:"TaskDefinitionArn"`
	TaskCount         *int32 `json:"TaskCount,omitempty"`
	LaunchType        string `json:"LaunchType,omitempty"`
	Group             string `json:"Group,omitempty"`
}

// Rule states EventBridge uses.
const (
	stateEnabled  = "ENABLED"
	stateDisabled = "DISABLED"
)

const (
	codeResourceNotFound = "ResourceNotFoundException"
	codeValidation       = "ValidationException"
)

func errNotFound(format string, a ...any) *apiError {
	e := errBadRequest(codeResourceNotFound, format, a...)
	return e
}

// eventsHandler returns the handler of an EventBridge operation, nil if unknown.
func (s *Server) eventsHandler(op string) handler {
	var h handler
	switch op {
	case "ListRules":
		h = s.ebListRulesLocked
	case "DescribeRule":
		h = s.ebDescribeRuleLocked
	case "ListTargetsByRule":
		h = s.ebListTargetsByRuleLocked
	case "ListRuleNamesByTarget":
		h = s.ebListRuleNamesByTargetLocked
	case "PutRule":
		h = s.ebPutRuleLocked
	case "PutTargets":
		h = s.ebPutTargetsLocked
	case "EnableRule":
		h = func(b []byte) (any, *apiError) { return s.ebSetStateLocked(b, stateEnabled) }
	case "DisableRule":
		h = func(b []byte) (any, *apiError) { return s.ebSetStateLocked(b, stateDisabled) }
	case "DeleteRule":
		h = s.ebDeleteRuleLocked
	default:
		return nil
	}
	return func(body []byte) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return h(body)
	}
}

func (s *Server) ruleARN(name string) string {
	return "arn:aws:events:" + s.region + ":" + s.account + ":rule/" + name
}

// checkBus refuses buses other than the default one: scheduled rules only
// exist there, and the simulator keeps no other.
func checkBus(bus string) *apiError {
	if bus == "" || bus == "default" || strings.HasSuffix(bus, ":event-bus/default") {
		return nil
	}
	return errNotFound("Event bus %s does not exist.", bus)
}

// page cuts names (sorted) at an opaque token, limit items at a time
// (default and maximum 100, as EventBridge's list calls allow).
func page(names []string, token string, limit *int32) ([]string, string, *apiError) {
	size := 100
	if limit != nil {
		if *limit < 1 || *limit > 100 {
			return nil, "", errBadRequest(codeValidation, "Limit must be between 1 and 100.")
		}
		size = int(*limit)
	}
	start := int64(0)
	if token != "" {
		var ok bool
		if start, ok = decodeToken(token); !ok || start > int64(len(names)) {
			return nil, "", errBadRequest(codeValidation, "The NextToken is invalid.")
		}
	}
	end := min(int(start)+size, len(names))
	next := ""
	if end < len(names) {
		next = encodeToken(int64(end))
	}
	return names[start:end], next, nil
}

func (s *Server) sortedRuleNames(keep func(*ebRule) bool) []string {
	var names []string
	for n, r := range s.events.rules {
		if keep(r) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

type ruleWire struct {
	Name               string `json:"Name"`
	Arn                string `json:"Arn"`
	State              string `json:"State"`
	ScheduleExpression string `json:"ScheduleExpression,omitempty"`
	EventPattern       string `json:"EventPattern,omitempty"`
	Description        string `json:"Description,omitempty"`
	EventBusName       string `json:"EventBusName"`
}

func (s *Server) ruleWire(r *ebRule) ruleWire {
	return ruleWire{Name: r.name, Arn: s.ruleARN(r.name), State: r.state, ScheduleExpression: r.expr,
		EventPattern: r.pattern, Description: r.description, EventBusName: "default"}
}

func (s *Server) ebListRulesLocked(body []byte) (any, *apiError) {
	var in struct {
		NamePrefix, EventBusName, NextToken string
		Limit                               *int32
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	names := s.sortedRuleNames(func(r *ebRule) bool { return strings.HasPrefix(r.name, in.NamePrefix) })
	pg, next, aerr := page(names, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Rules     []ruleWire `json:"Rules"`
		NextToken string     `json:"NextToken,omitempty"`
	}{Rules: []ruleWire{}, NextToken: next}
	for _, n := range pg {
		out.Rules = append(out.Rules, s.ruleWire(s.events.rules[n]))
	}
	return out, nil
}

func (s *Server) ruleLocked(name, bus string) (*ebRule, *apiError) {
	if err := checkBus(bus); err != nil {
		return nil, err
	}
	r := s.events.rules[name]
	if r == nil {
		return nil, errNotFound("Rule %s does not exist on EventBus default.", name)
	}
	return r, nil
}

func (s *Server) ebDescribeRuleLocked(body []byte) (any, *apiError) {
	var in struct{ Name, EventBusName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	r, aerr := s.ruleLocked(in.Name, in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	return s.ruleWire(r), nil
}

func (s *Server) ebListTargetsByRuleLocked(body []byte) (any, *apiError) {
	var in struct {
		Rule, EventBusName, NextToken string
		Limit                         *int32
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	r, aerr := s.ruleLocked(in.Rule, in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	ids := make([]string, len(r.targets))
	for i := range r.targets {
		ids[i] = strconv.Itoa(i)
	}
	pg, next, aerr := page(ids, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	out := struct {
		Targets   []ebTarget `json:"Targets"`
		NextToken string     `json:"NextToken,omitempty"`
	}{Targets: []ebTarget{}, NextToken: next}
	for _, id := range pg {
		i, _ := strconv.Atoi(id)
		out.Targets = append(out.Targets, r.targets[i])
	}
	return out, nil
}

func (s *Server) ebListRuleNamesByTargetLocked(body []byte) (any, *apiError) {
	var in struct {
		TargetArn, EventBusName, NextToken string
		Limit                              *int32
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.TargetArn == "" {
		return nil, errBadRequest(codeValidation, "TargetArn is required.")
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	// AWS matches the target ARN exactly: a cluster name is not enough.
	names := s.sortedRuleNames(func(r *ebRule) bool {
		for _, t := range r.targets {
			if t.Arn == in.TargetArn {
				return true
			}
		}
		return false
	})
	pg, next, aerr := page(names, in.NextToken, in.Limit)
	if aerr != nil {
		return nil, aerr
	}
	return struct {
		RuleNames []string `json:"RuleNames"`
		NextToken string   `json:"NextToken,omitempty"`
	}{RuleNames: append([]string{}, pg...), NextToken: next}, nil
}

func (s *Server) ebPutRuleLocked(body []byte) (any, *apiError) {
	var in struct {
		Name, ScheduleExpression, EventPattern, State, Description, EventBusName string
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	if in.Name == "" || len(in.Name) > 64 {
		return nil, errBadRequest(codeValidation, "Name must be 1 to 64 characters.")
	}
	if in.ScheduleExpression == "" && in.EventPattern == "" {
		return nil, errBadRequest(codeValidation, "Parameter(s) ScheduleExpression or EventPattern must be specified.")
	}
	if in.State == "" {
		in.State = stateEnabled
	}
	if in.State != stateEnabled && in.State != stateDisabled {
		return nil, errBadRequest(codeValidation, "State must be ENABLED or DISABLED.")
	}
	s.putRuleLocked(in.Name, in.ScheduleExpression, in.EventPattern, in.State, in.Description)
	return map[string]string{"RuleArn": s.ruleARN(in.Name)}, nil
}

// putRuleLocked creates or replaces a rule, keeping its targets. A changed
// expression restarts firing from now, as a new rate() phase would.
func (s *Server) putRuleLocked(name, expr, pattern, state, description string) *ebRule {
	now := s.now()
	r := s.events.rules[name]
	if r == nil {
		r = &ebRule{name: name, created: now}
		s.events.rules[name] = r
	} else if r.expr != expr {
		r.created, r.lastFire = now, time.Time{}
	}
	if r.state == stateDisabled && state == stateEnabled {
		r.created, r.lastFire = now, time.Time{}
	}
	r.expr, r.pattern, r.state, r.description = expr, pattern, state, description
	return r
}

func (s *Server) ebPutTargetsLocked(body []byte) (any, *apiError) {
	var in struct {
		Rule, EventBusName string
		Targets            []ebTarget
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	r, aerr := s.ruleLocked(in.Rule, in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.Targets) == 0 || len(in.Targets) > 10 {
		return nil, errBadRequest(codeValidation, "Targets must hold 1 to 10 items.")
	}
	for _, t := range in.Targets {
		if t.ID == "" || t.Arn == "" {
			return nil, errBadRequest(codeValidation, "Each target needs an Id and an Arn.")
		}
		r.putTarget(t)
	}
	return map[string]any{"FailedEntryCount": 0, "FailedEntries": []any{}}, nil
}

// putTarget adds t or replaces the target with the same Id.
func (r *ebRule) putTarget(t ebTarget) {
	for i := range r.targets {
		if r.targets[i].ID == t.ID {
			r.targets[i] = t
			return
		}
	}
	r.targets = append(r.targets, t)
}

func (s *Server) ebSetStateLocked(body []byte, state string) (any, *apiError) {
	var in struct{ Name, EventBusName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	r, aerr := s.ruleLocked(in.Name, in.EventBusName)
	if aerr != nil {
		return nil, aerr
	}
	s.putRuleLocked(r.name, r.expr, r.pattern, state, r.description)
	return nil, nil
}

func (s *Server) ebDeleteRuleLocked(body []byte) (any, *apiError) {
	var in struct {
		Name, EventBusName string
		Force              bool
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkBus(in.EventBusName); err != nil {
		return nil, err
	}
	r := s.events.rules[in.Name]
	if r == nil {
		// DeleteRule of a missing rule succeeds in AWS.
		return nil, nil
	}
	if len(r.targets) > 0 && !in.Force {
		return nil, errBadRequest(codeValidation, "Rule can't be deleted since it has targets.")
	}
	delete(s.events.rules, in.Name)
	return nil, nil
}

package awssim

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// schedSchedule is one EventBridge Scheduler schedule.
type schedSchedule struct {
	name, group, expr, tz, state string
	target                       schedTarget
	flex                         flexWindow
	startDate, endDate           time.Time
	created, modified, lastFire  time.Time
}

type schedTarget struct {
	Arn           string           `json:"Arn"`
	RoleArn       string           `json:"RoleArn,omitempty"`
	EcsParameters *ecsTargetParams `json:"EcsParameters,omitempty"`
	// DeadLetterConfig names the SQS queue failed invocations go to.
	DeadLetterConfig *deadLetterConfig `json:"DeadLetterConfig,omitempty"`
}

type deadLetterConfig struct {
	Arn string `json:"Arn"`
}

type flexWindow struct {
	Mode                   string `json:"Mode"`
	MaximumWindowInMinutes *int32 `json:"MaximumWindowInMinutes,omitempty"`
}

func (s *Server) scheduleARN(group, name string) string {
	return "arn:aws:scheduler:" + s.region + ":" + s.account + ":schedule/" + group + "/" + name
}

func (s *Server) scheduleGroupARN(group string) string {
	return "arn:aws:scheduler:" + s.region + ":" + s.account + ":schedule-group/" + group
}

func errSchedNotFound(format string, a ...any) *apiError {
	e := errNotFound(format, a...)
	e.Status = http.StatusNotFound
	return e
}

// schedulerRoute maps a Scheduler REST request to its operation name
// ("scheduler:ListSchedules"), handler and path parameters. Paths and
// methods follow service/scheduler/serializers.go.
func (s *Server) schedulerRoute(method, path string) (string, handler, map[string]string) {
	var (
		op     string
		h      handler
		params map[string]string
	)
	switch {
	case path == "/schedules" && method == http.MethodGet:
		op, h = "ListSchedules", s.schedListLocked
	case path == "/schedule-groups" && method == http.MethodGet:
		op, h = "ListScheduleGroups", s.schedListGroupsLocked
	case strings.HasPrefix(path, "/schedules/"):
		name := strings.TrimPrefix(path, "/schedules/")
		if name == "" || strings.Contains(name, "/") {
			return "", nil, nil
		}
		params = map[string]string{"Name": name}
		switch method {
		case http.MethodGet:
			op, h = "GetSchedule", s.schedGetLocked
		case http.MethodPost:
			op, h = "CreateSchedule", func(b []byte) (any, *apiError) { return s.schedPutLocked(b, true) }
		case http.MethodPut:
			op, h = "UpdateSchedule", func(b []byte) (any, *apiError) { return s.schedPutLocked(b, false) }
		case http.MethodDelete:
			op, h = "DeleteSchedule", s.schedDeleteLocked
		}
	}
	if h == nil {
		return "", nil, nil
	}
	locked := func(body []byte) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return h(body)
	}
	return "scheduler:" + op, locked, params
}

func groupOrDefault(g string) string {
	if g == "" {
		return "default"
	}
	return g
}

// maxResults parses an optional MaxResults query value (1..100, default 100).
func maxResults(v string) (*int32, *apiError) {
	if v == "" {
		return nil, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100 {
		return nil, errBadRequest(codeValidation, "MaxResults must be between 1 and 100.")
	}
	n32 := int32(n)
	return &n32, nil
}

func (s *Server) schedListLocked(body []byte) (any, *apiError) {
	// Query parameters arrive as strings: ScheduleGroup (GroupName in the
	// SDK), NamePrefix, State, MaxResults, NextToken.
	var in struct{ ScheduleGroup, NamePrefix, State, MaxResults, NextToken string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := maxResults(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	// Without ScheduleGroup, every group's schedules are listed.
	var keys []string
	for k, sc := range s.events.schedules {
		if (in.ScheduleGroup == "" || sc.group == in.ScheduleGroup) &&
			strings.HasPrefix(sc.name, in.NamePrefix) && (in.State == "" || sc.state == in.State) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	pg, next, aerr := page(keys, in.NextToken, limit)
	if aerr != nil {
		return nil, aerr
	}
	type summary struct {
		Arn                  string       `json:"Arn"`
		Name                 string       `json:"Name"`
		GroupName            string       `json:"GroupName"`
		State                string       `json:"State"`
		CreationDate         epochSeconds `json:"CreationDate"`
		LastModificationDate epochSeconds `json:"LastModificationDate"`
		Target               struct {
			Arn string `json:"Arn"`
		} `json:"Target"`
	}
	out := struct {
		Schedules []summary `json:"Schedules"`
		NextToken string    `json:"NextToken,omitempty"`
	}{Schedules: []summary{}, NextToken: next}
	for _, k := range pg {
		sc := s.events.schedules[k]
		v := summary{Arn: s.scheduleARN(sc.group, sc.name), Name: sc.name, GroupName: sc.group, State: sc.state,
			CreationDate: epochSeconds(sc.created), LastModificationDate: epochSeconds(sc.modified)}
		v.Target.Arn = sc.target.Arn
		out.Schedules = append(out.Schedules, v)
	}
	return out, nil
}

func (s *Server) schedListGroupsLocked(body []byte) (any, *apiError) {
	var in struct{ NamePrefix, MaxResults, NextToken string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	limit, aerr := maxResults(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	var names []string
	for g := range s.events.groups {
		if strings.HasPrefix(g, in.NamePrefix) {
			names = append(names, g)
		}
	}
	sort.Strings(names)
	pg, next, aerr := page(names, in.NextToken, limit)
	if aerr != nil {
		return nil, aerr
	}
	type group struct {
		Arn                  string       `json:"Arn"`
		Name                 string       `json:"Name"`
		State                string       `json:"State"`
		CreationDate         epochSeconds `json:"CreationDate"`
		LastModificationDate epochSeconds `json:"LastModificationDate"`
	}
	out := struct {
		ScheduleGroups []group `json:"ScheduleGroups"`
		NextToken      string  `json:"NextToken,omitempty"`
	}{ScheduleGroups: []group{}, NextToken: next}
	for _, g := range pg {
		t := s.events.groups[g]
		if t.IsZero() { // the default group exists from the start
			t = s.now()
		}
		at := epochSeconds(t)
		out.ScheduleGroups = append(out.ScheduleGroups, group{Arn: s.scheduleGroupARN(g), Name: g, State: "ACTIVE",
			CreationDate: at, LastModificationDate: at})
	}
	return out, nil
}

// scheduleWire is GetSchedule's output.
type scheduleWire struct {
	Arn                        string        `json:"Arn"`
	Name                       string        `json:"Name"`
	GroupName                  string        `json:"GroupName"`
	ScheduleExpression         string        `json:"ScheduleExpression"`
	ScheduleExpressionTimezone string        `json:"ScheduleExpressionTimezone,omitempty"`
	State                      string        `json:"State"`
	FlexibleTimeWindow         flexWindow    `json:"FlexibleTimeWindow"`
	Target                     schedTarget   `json:"Target"`
	CreationDate               epochSeconds  `json:"CreationDate"`
	LastModificationDate       epochSeconds  `json:"LastModificationDate"`
	StartDate                  *epochSeconds `json:"StartDate,omitempty"`
	EndDate                    *epochSeconds `json:"EndDate,omitempty"`
}

func (s *Server) schedGetLocked(body []byte) (any, *apiError) {
	var in struct{ Name, GroupName string }
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// GetSchedule sends the group as the "groupName" query parameter;
	// encoding/json matches field names case-insensitively.
	group := groupOrDefault(in.GroupName)
	sc := s.events.schedules[group+"/"+in.Name]
	if sc == nil {
		return nil, errSchedNotFound("Schedule %s does not exist.", in.Name)
	}
	w := scheduleWire{Arn: s.scheduleARN(sc.group, sc.name), Name: sc.name, GroupName: sc.group,
		ScheduleExpression: sc.expr, ScheduleExpressionTimezone: sc.tz, State: sc.state, FlexibleTimeWindow: sc.flex,
		Target: sc.target, CreationDate: epochSeconds(sc.created), LastModificationDate: epochSeconds(sc.modified)}
	if !sc.startDate.IsZero() {
		w.StartDate = stamp[epochSeconds](sc.startDate)
	}
	if !sc.endDate.IsZero() {
		w.EndDate = stamp[epochSeconds](sc.endDate)
	}
	return w, nil
}

// schedPutLocked serves CreateSchedule (create) and UpdateSchedule, which
// replaces every field, as the real UpdateSchedule does.
func (s *Server) schedPutLocked(body []byte, create bool) (any, *apiError) {
	var in struct {
		Name, GroupName, ScheduleExpression, ScheduleExpressionTimezone, State string
		FlexibleTimeWindow                                                     *flexWindow
		Target                                                                 *schedTarget
		StartDate, EndDate                                                     *float64
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Name == "" || len(in.Name) > 64 {
		return nil, errBadRequest(codeValidation, "Name must be 1 to 64 characters.")
	}
	if in.ScheduleExpression == "" || in.FlexibleTimeWindow == nil || in.Target == nil || in.Target.Arn == "" {
		return nil, errBadRequest(codeValidation, "ScheduleExpression, FlexibleTimeWindow and Target are required.")
	}
	switch in.FlexibleTimeWindow.Mode {
	case "OFF":
	case "FLEXIBLE":
		if m := in.FlexibleTimeWindow.MaximumWindowInMinutes; m == nil || *m < 1 || *m > 1440 {
			return nil, errBadRequest(codeValidation, "MaximumWindowInMinutes must be between 1 and 1440 in FLEXIBLE mode.")
		}
	default:
		return nil, errBadRequest(codeValidation, "FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.")
	}
	if in.State == "" {
		in.State = stateEnabled
	}
	if in.State != stateEnabled && in.State != stateDisabled {
		return nil, errBadRequest(codeValidation, "State must be ENABLED or DISABLED.")
	}
	group := groupOrDefault(in.GroupName)
	if _, ok := s.events.groups[group]; !ok {
		return nil, errSchedNotFound("Schedule group %s does not exist.", group)
	}
	key := group + "/" + in.Name
	old := s.events.schedules[key]
	switch {
	case create && old != nil:
		return nil, &apiError{Status: http.StatusConflict, Code: "ConflictException", Message: "Schedule " + in.Name + " already exists."}
	case !create && old == nil:
		return nil, errSchedNotFound("Schedule %s does not exist.", in.Name)
	}
	sc := &schedSchedule{name: in.Name, group: group, expr: in.ScheduleExpression, tz: in.ScheduleExpressionTimezone,
		state: in.State, target: *in.Target, flex: *in.FlexibleTimeWindow}
	if in.StartDate != nil {
		sc.startDate = fromEpoch(*in.StartDate)
	}
	if in.EndDate != nil {
		sc.endDate = fromEpoch(*in.EndDate)
	}
	s.storeScheduleLocked(sc, old)
	return map[string]string{"ScheduleArn": s.scheduleARN(group, in.Name)}, nil
}

// storeScheduleLocked saves sc over old (nil: new). Firing continues from
// the old schedule's last fire unless the timing changed or the schedule
// was re-enabled, in which case it restarts from now.
func (s *Server) storeScheduleLocked(sc, old *schedSchedule) {
	now := s.now()
	sc.created, sc.modified = now, now
	if old != nil {
		sc.created = old.created
		if old.expr == sc.expr && old.tz == sc.tz && old.startDate.Equal(sc.startDate) && !(old.state == stateDisabled && sc.state == stateEnabled) {
			sc.lastFire = old.lastFire
		} else {
			sc.lastFire = now
		}
	}
	s.events.schedules[sc.group+"/"+sc.name] = sc
}

func fromEpoch(f float64) time.Time {
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)).UTC()
}

func (s *Server) schedDeleteLocked(body []byte) (any, *apiError) {
	var in struct {
		Name      string
		GroupName string `json:"groupName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	key := groupOrDefault(in.GroupName) + "/" + in.Name
	if s.events.schedules[key] == nil {
		return nil, errSchedNotFound("Schedule %s does not exist.", in.Name)
	}
	delete(s.events.schedules, key)
	return nil, nil
}

package awssim

import (
	"fmt"
	"sort"
	"time"
)

// maxStartedBy is RunTask's documented startedBy limit.
const maxStartedBy = 128

// RunTasks starts n tasks of family's latest revision in cluster without
// going through HTTP (no 10-per-call limit, for scale tests) and returns
// their ARNs.
func (s *Server) RunTasks(cluster, family, startedBy string, n int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advanceLocked(now)
	c, aerr := s.clusterLocked(cluster)
	if aerr != nil {
		return nil, fmt.Errorf("run tasks in cluster %q: %w", cluster, aerr)
	}
	d := s.taskDefLocked(family)
	if d == nil {
		return nil, fmt.Errorf("run tasks of %q: task definition not registered", family)
	}
	arns := make([]string, n)
	for i := range arns {
		arns[i] = s.newTaskLocked(c, d, "", startedBy, "FARGATE", now).arn
	}
	return arns, nil
}

// StopTasks stops tasks (IDs or ARNs) of cluster as StopTask does.
func (s *Server) StopTasks(cluster, reason string, tasks ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.advanceLocked(now)
	c, aerr := s.clusterLocked(cluster)
	if aerr != nil {
		return fmt.Errorf("stop tasks in cluster %q: %w", cluster, aerr)
	}
	for _, ref := range tasks {
		t := s.taskLocked(c, ref)
		if t == nil {
			return fmt.Errorf("stop task %q in cluster %q: task not found", ref, cluster)
		}
		s.stopTaskLocked(t, reason, now)
	}
	return nil
}

// VanishTasks makes tasks (IDs or ARNs) of cluster gone the way AWS shows
// a task it no longer has while ListTasks still lists it: ListTasks keeps
// returning them, DescribeTasks answers each as a failure with reason
// MISSING, and they change no more (no events).
func (s *Server) VanishTasks(cluster string, tasks ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, aerr := s.clusterLocked(cluster)
	if aerr != nil {
		return fmt.Errorf("vanish tasks in cluster %q: %w", cluster, aerr)
	}
	for _, ref := range tasks {
		t := s.taskLocked(c, ref)
		if t == nil {
			return fmt.Errorf("vanish task %q in cluster %q: task not found", ref, cluster)
		}
		t.vanished, t.due = true, time.Time{}
	}
	return nil
}

// newTaskLocked creates a PROVISIONING task; it moves on at the next
// advance, following the family's plan as it was at creation.
func (s *Server) newTaskLocked(c *ecsCluster, d *ecsTaskDef, group, startedBy, launchType string, now time.Time) *ecsTask {
	e := &s.ecs
	e.taskSeq++
	id := e.hexID(16)
	if group == "" {
		group = "family:" + d.family
	}
	t := &ecsTask{
		id:            id,
		arn:           s.taskARN(c.name, id),
		seq:           e.taskSeq,
		cluster:       c,
		def:           d,
		group:         group,
		startedBy:     startedBy,
		launchType:    launchType,
		az:            s.region + "a",
		plan:          e.plans[d.family],
		lastStatus:    statusProvisioning,
		desiredStatus: statusRunning,
		createdAt:     now,
	}
	for _, cd := range d.wire.ContainerDefinitions {
		t.containers = append(t.containers, ecsContainer{
			arn:        s.containerARN(c.name, id, e.uuid()),
			name:       cd.Name,
			image:      cd.Image,
			lastStatus: statusPending,
		})
	}
	e.tasks[id] = t
	c.tasks = append(c.tasks, t)
	s.changedLocked(t, now, now)
	s.scheduleLocked(t, now)
	return t
}

func (s *Server) ecsRunTaskLocked(body []byte) (any, *apiError) {
	var in struct {
		Cluster        string `json:"cluster"`
		TaskDefinition string `json:"taskDefinition"`
		Count          *int32 `json:"count"`
		Group          string `json:"group"`
		StartedBy      string `json:"startedBy"`
		LaunchType     string `json:"launchType"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, aerr := s.clusterLocked(in.Cluster)
	if aerr != nil {
		return nil, aerr
	}
	count := int32(1)
	if in.Count != nil {
		count = *in.Count
	}
	if count < 1 || count > 10 {
		return nil, errBadRequest(codeInvalidParam, "count must be between 1 and 10.")
	}
	if len(in.StartedBy) > maxStartedBy {
		return nil, errBadRequest(codeInvalidParam, "startedBy can have at most %d characters.", maxStartedBy)
	}
	if in.TaskDefinition == "" {
		return nil, errBadRequest(codeInvalidParam, "taskDefinition cannot be empty.")
	}
	d := s.taskDefLocked(in.TaskDefinition)
	if d == nil {
		return nil, errBadRequest(codeClient, "TaskDefinition not found.")
	}
	if in.LaunchType == "" {
		in.LaunchType = "FARGATE"
	}
	now := s.now()
	out := struct {
		Tasks    []taskWire[epochSeconds] `json:"tasks"`
		Failures []failureWire            `json:"failures"`
	}{Failures: []failureWire{}}
	for range count {
		t := s.newTaskLocked(c, d, in.Group, in.StartedBy, in.LaunchType, now)
		out.Tasks = append(out.Tasks, renderTask[epochSeconds](t, false))
	}
	return out, nil
}

func (s *Server) ecsStopTaskLocked(body []byte) (any, *apiError) {
	var in struct {
		Cluster string `json:"cluster"`
		Task    string `json:"task"`
		Reason  string `json:"reason"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, aerr := s.clusterLocked(in.Cluster)
	if aerr != nil {
		return nil, aerr
	}
	t := s.taskLocked(c, in.Task)
	if t == nil {
		return nil, errBadRequest(codeInvalidParam, "The referenced task was not found.")
	}
	s.stopTaskLocked(t, in.Reason, s.now())
	return map[string]any{"task": renderTask[epochSeconds](t, false)}, nil
}

func (s *Server) ecsListTasksLocked(body []byte) (any, *apiError) {
	var in struct {
		Cluster           string `json:"cluster"`
		ContainerInstance string `json:"containerInstance"`
		Family            string `json:"family"`
		NextToken         string `json:"nextToken"`
		MaxResults        *int32 `json:"maxResults"`
		StartedBy         string `json:"startedBy"`
		ServiceName       string `json:"serviceName"`
		DesiredStatus     string `json:"desiredStatus"`
		LaunchType        string `json:"launchType"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, aerr := s.clusterLocked(in.Cluster)
	if aerr != nil {
		return nil, aerr
	}
	size, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	if in.StartedBy != "" && (in.Family != "" || in.DesiredStatus != "" || in.ServiceName != "" ||
		in.ContainerInstance != "" || in.LaunchType != "") {
		return nil, errBadRequest(codeInvalidParam, "startedBy cannot be combined with other filters.")
	}
	desired := in.DesiredStatus
	switch desired {
	case "":
		desired = statusRunning
	case statusRunning, statusPending, statusStopped:
	default:
		return nil, errBadRequest(codeInvalidParam, "desiredStatus must be one of RUNNING, PENDING, STOPPED.")
	}
	start := int64(0)
	if in.NextToken != "" {
		var ok bool
		if start, ok = decodeToken(in.NextToken); !ok {
			return nil, errBadRequest(codeInvalidParam, "Invalid nextToken.")
		}
	}
	out := struct {
		TaskArns  []string `json:"taskArns"`
		NextToken string   `json:"nextToken,omitempty"`
	}{TaskArns: []string{}}
	// Fargate tasks belong to no service and no container instance.
	if in.ServiceName != "" || in.ContainerInstance != "" {
		return out, nil
	}
	// The token is the creation sequence number to resume at, so pages
	// stay consistent while tasks start, stop and are pruned between calls.
	tasks := c.tasks
	i := sort.Search(len(tasks), func(i int) bool { return tasks[i].seq >= start })
	for ; i < len(tasks); i++ {
		t := tasks[i]
		if t.desiredStatus != desired ||
			(in.Family != "" && t.def.family != in.Family) ||
			(in.StartedBy != "" && t.startedBy != in.StartedBy) ||
			(in.LaunchType != "" && t.launchType != in.LaunchType) {
			continue
		}
		if len(out.TaskArns) == size {
			out.NextToken = encodeToken(t.seq)
			break
		}
		out.TaskArns = append(out.TaskArns, t.arn)
	}
	return out, nil
}

func (s *Server) ecsDescribeTasksLocked(body []byte) (any, *apiError) {
	var in struct {
		Cluster string   `json:"cluster"`
		Tasks   []string `json:"tasks"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	c, aerr := s.clusterLocked(in.Cluster)
	if aerr != nil {
		return nil, aerr
	}
	if len(in.Tasks) == 0 {
		return nil, errBadRequest(codeInvalidParam, "Tasks cannot be empty.")
	}
	if len(in.Tasks) > 100 {
		return nil, errBadRequest(codeInvalidParam, "Tasks can have at most 100 items.")
	}
	out := struct {
		Tasks    []taskWire[epochSeconds] `json:"tasks"`
		Failures []failureWire            `json:"failures"`
	}{Tasks: []taskWire[epochSeconds]{}, Failures: []failureWire{}}
	seen := make(map[*ecsTask]bool, len(in.Tasks))
	for _, ref := range in.Tasks {
		t := s.taskLocked(c, ref)
		if t == nil || t.vanished {
			out.Failures = append(out.Failures, failureWire{Arn: ref, Reason: "MISSING"})
			continue
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		out.Tasks = append(out.Tasks, renderTask[epochSeconds](t, false))
	}
	return out, nil
}

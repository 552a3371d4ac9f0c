package awssim

import (
	"fmt"
	"maps"
)

// ContainerDef is one container of a task definition registered through
// the Go API. The zero value of NonEssential means essential, the ECS default.
type ContainerDef struct {
	Name, Image  string
	NonEssential bool
	LogDriver    string            // e.g. "awslogs"; "" = no logConfiguration
	LogOptions   map[string]string // e.g. awslogs-group
}

type ecsTaskDef struct {
	arn, family string
	revision    int
	wire        taskDefWire // as registered, with defaults filled in
}

func (d *ecsTaskDef) cpuOrDefault() string {
	if d.wire.Cpu != "" {
		return d.wire.Cpu
	}
	return "256"
}

func (d *ecsTaskDef) memoryOrDefault() string {
	if d.wire.Memory != "" {
		return d.wire.Memory
	}
	return "512"
}

// CreateCluster creates a cluster (idempotently, like the API) and returns its ARN.
func (s *Server) CreateCluster(name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createClusterLocked(clusterName(name)).arn
}

func (s *Server) createClusterLocked(name string) *ecsCluster {
	if c := s.ecs.clusters[name]; c != nil {
		return c
	}
	c := &ecsCluster{name: name, arn: s.clusterARN(name)}
	s.ecs.clusters[name] = c
	s.ecs.clusterNames = append(s.ecs.clusterNames, name)
	return c
}

// validName reports whether s fits the alphabet ECS allows for cluster
// names and task definition families: 1-255 letters, digits, '-' and '_'.
func validName(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) ecsCreateClusterLocked(body []byte) (any, *apiError) {
	var in struct {
		ClusterName string `json:"clusterName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name := clusterName(in.ClusterName)
	if !validName(name) {
		return nil, errBadRequest(codeInvalidParam, "Cluster name can contain only letters, numbers, hyphens and underscores, up to 255 characters.")
	}
	c := s.createClusterLocked(name)
	return map[string]any{"cluster": s.clusterWireLocked(c)}, nil
}

func (s *Server) ecsListClustersLocked(body []byte) (any, *apiError) {
	var in struct {
		NextToken  string `json:"nextToken"`
		MaxResults *int32 `json:"maxResults"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	size, aerr := pageSize(in.MaxResults)
	if aerr != nil {
		return nil, aerr
	}
	start := int64(0)
	if in.NextToken != "" {
		var ok bool
		if start, ok = decodeToken(in.NextToken); !ok || start > int64(len(s.ecs.clusterNames)) {
			return nil, errBadRequest(codeInvalidParam, "Invalid nextToken.")
		}
	}
	// Clusters are never deleted here, so an index is a stable position.
	names := s.ecs.clusterNames[start:]
	out := struct {
		ClusterArns []string `json:"clusterArns"`
		NextToken   string   `json:"nextToken,omitempty"`
	}{ClusterArns: []string{}}
	for i, n := range names {
		if i == size {
			out.NextToken = encodeToken(start + int64(i))
			break
		}
		out.ClusterArns = append(out.ClusterArns, s.ecs.clusters[n].arn)
	}
	return out, nil
}

func (s *Server) ecsDescribeClustersLocked(body []byte) (any, *apiError) {
	var in struct {
		Clusters []string `json:"clusters"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if len(in.Clusters) == 0 {
		in.Clusters = []string{"default"}
	}
	if len(in.Clusters) > 100 {
		return nil, errBadRequest(codeInvalidParam, "clusters can have at most 100 items.")
	}
	out := struct {
		Clusters []clusterWire `json:"clusters"`
		Failures []failureWire `json:"failures"`
	}{Clusters: []clusterWire{}, Failures: []failureWire{}}
	for _, ref := range in.Clusters {
		c := s.ecs.clusters[clusterName(ref)]
		if c == nil {
			out.Failures = append(out.Failures, failureWire{Arn: s.clusterARN(clusterName(ref)), Reason: "MISSING"})
			continue
		}
		out.Clusters = append(out.Clusters, s.clusterWireLocked(c))
	}
	return out, nil
}

// clusterWireLocked counts tasks by status. PROVISIONING counts as pending:
// the task has been accepted and is not running yet.
func (s *Server) clusterWireLocked(c *ecsCluster) clusterWire {
	w := clusterWire{ClusterArn: c.arn, ClusterName: c.name, Status: "ACTIVE"}
	for _, t := range c.tasks {
		switch t.lastStatus {
		case statusRunning:
			w.RunningTasksCount++
		case statusProvisioning, statusPending, statusActivating:
			w.PendingTasksCount++
		}
	}
	return w
}

// RegisterTaskDefinition registers a new revision of family and returns its
// ARN. With no containers it registers one essential container "app".
func (s *Server) RegisterTaskDefinition(family string, containers ...ContainerDef) (string, error) {
	if len(containers) == 0 {
		containers = []ContainerDef{{Name: "app", Image: family + ":latest"}}
	}
	in := taskDefWire{Family: family, RequiresCompatibilities: []string{"FARGATE"}, NetworkMode: "awsvpc"}
	for _, c := range containers {
		essential := !c.NonEssential
		cw := containerDefWire{Name: c.Name, Image: c.Image, Essential: &essential}
		if c.LogDriver != "" {
			cw.LogConfiguration = &logConfigWire{LogDriver: c.LogDriver, Options: maps.Clone(c.LogOptions)}
		}
		in.ContainerDefinitions = append(in.ContainerDefinitions, cw)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, aerr := s.registerTaskDefLocked(in)
	if aerr != nil {
		return "", fmt.Errorf("register task definition %q: %w", family, aerr)
	}
	return d.arn, nil
}

// registerTaskDefLocked validates in and stores it as the family's next
// revision. Validation errors are ClientException, as ECS reports them.
func (s *Server) registerTaskDefLocked(in taskDefWire) (*ecsTaskDef, *apiError) {
	if !validName(in.Family) {
		return nil, errBadRequest(codeClient, "Family must contain only letters, numbers, hyphens and underscores, up to 255 characters.")
	}
	if len(in.ContainerDefinitions) == 0 {
		return nil, errBadRequest(codeClient, "Container list cannot be empty.")
	}
	if len(in.ContainerDefinitions) > 10 {
		return nil, errBadRequest(codeClient, "Too many containers: at most 10 per task definition.")
	}
	seen := map[string]bool{}
	anyEssential := false
	defs := make([]containerDefWire, len(in.ContainerDefinitions))
	for i, c := range in.ContainerDefinitions {
		if c.Name == "" || c.Image == "" {
			return nil, errBadRequest(codeClient, "Container.name and Container.image should not be null or empty.")
		}
		if seen[c.Name] {
			return nil, errBadRequest(codeClient, "Duplicate container name %q.", c.Name)
		}
		seen[c.Name] = true
		if c.Essential == nil {
			t := true
			c.Essential = &t
		}
		anyEssential = anyEssential || *c.Essential
		defs[i] = c
	}
	if !anyEssential {
		return nil, errBadRequest(codeClient, "Invalid setting for container definitions: at least one container must be essential.")
	}
	rev := len(s.ecs.families[in.Family]) + 1
	in.ContainerDefinitions = defs
	in.Revision = rev
	in.TaskDefinitionArn = s.taskDefARN(in.Family, rev)
	in.Status = "ACTIVE"
	in.Compatibilities = []string{"EC2", "FARGATE"}
	in.RegisteredAt = stamp[epochSeconds](s.now())
	d := &ecsTaskDef{arn: in.TaskDefinitionArn, family: in.Family, revision: rev, wire: in}
	s.ecs.families[in.Family] = append(s.ecs.families[in.Family], d)
	return d, nil
}

func (s *Server) ecsRegisterTaskDefinitionLocked(body []byte) (any, *apiError) {
	var in taskDefWire
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	// Server-assigned members are not the caller's to set.
	in.TaskDefinitionArn, in.Revision, in.Status, in.Compatibilities, in.RegisteredAt = "", 0, "", nil, nil
	d, aerr := s.registerTaskDefLocked(in)
	if aerr != nil {
		return nil, aerr
	}
	return map[string]any{"taskDefinition": d.wire, "tags": []any{}}, nil
}

func (s *Server) ecsDescribeTaskDefinitionLocked(body []byte) (any, *apiError) {
	var in struct {
		TaskDefinition string `json:"taskDefinition"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.TaskDefinition == "" {
		return nil, errBadRequest(codeClient, "taskDefinition cannot be empty.")
	}
	d := s.taskDefLocked(in.TaskDefinition)
	if d == nil {
		return nil, errBadRequest(codeClient, "Unable to describe task definition.")
	}
	return map[string]any{"taskDefinition": d.wire, "tags": []any{}}, nil
}

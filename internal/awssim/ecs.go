package awssim

import (
	"encoding/base64"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// ecsState is the simulated ECS: clusters, task definitions and tasks.
// Everything here is guarded by Server.mu.
type ecsState struct {
	clusters     map[string]*ecsCluster   // by cluster name
	clusterNames []string                 // creation order, for ListClusters paging
	families     map[string][]*ecsTaskDef // family -> revisions; index = revision-1
	tasks        map[string]*ecsTask      // by 32-hex task id
	plans        map[string]TaskPlan      // family -> plan for tasks started afterwards
	taskSeq      int64                    // creation sequence; gives paging a stable order
	nextDue      time.Time                // earliest pending task change; zero = nothing due
	eventQueue   string                   // where task state changes go; "" = nowhere
	published    []string                 // last publishedKeep event bodies sent
	rng          *rand.Rand               // ids; seeded so a run is reproducible
	sendFailures int                      // events the SQS side refused
}

// publishedKeep bounds the test hook's memory: the simulator may publish
// tens of thousands of events in a scale test.
const publishedKeep = 1000

func (e *ecsState) init() {
	e.clusters = map[string]*ecsCluster{}
	e.families = map[string][]*ecsTaskDef{}
	e.tasks = map[string]*ecsTask{}
	e.plans = map[string]TaskPlan{}
	e.rng = rand.New(rand.NewPCG(0x5eed, 0xec5))
}

type ecsCluster struct {
	name, arn string
	// tasks is in creation order (ascending seq) so that ListTasks tokens
	// stay valid while tasks are added and stopped ones are pruned.
	tasks []*ecsTask
}

// ecsHandler returns the handler of an ECS operation, nil if unknown. Every
// handler runs under s.mu after bringing task lifecycles up to s.now(), so
// that a daemon polling the simulator sees time pass without anyone calling
// Advance.
func (s *Server) ecsHandler(op string) handler {
	var h handler
	switch op {
	case "CreateCluster":
		h = s.ecsCreateClusterLocked
	case "ListClusters":
		h = s.ecsListClustersLocked
	case "DescribeClusters":
		h = s.ecsDescribeClustersLocked
	case "RegisterTaskDefinition":
		h = s.ecsRegisterTaskDefinitionLocked
	case "DescribeTaskDefinition":
		h = s.ecsDescribeTaskDefinitionLocked
	case "RunTask":
		h = s.ecsRunTaskLocked
	case "StopTask":
		h = s.ecsStopTaskLocked
	case "ListTasks":
		h = s.ecsListTasksLocked
	case "DescribeTasks":
		h = s.ecsDescribeTasksLocked
	default:
		return nil
	}
	return func(body []byte) (any, *apiError) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.advanceLocked(s.now())
		return h(body)
	}
}

// AWS error codes the ECS API uses.
const (
	codeClusterNotFound = "ClusterNotFoundException"
	codeInvalidParam    = "InvalidParameterException"
	codeClient          = "ClientException"
)

func errClusterNotFound() *apiError {
	return errBadRequest(codeClusterNotFound, "Cluster not found.")
}

func (s *Server) clusterARN(name string) string {
	return "arn:aws:ecs:" + s.region + ":" + s.account + ":cluster/" + name
}

func (s *Server) taskARN(cluster, id string) string {
	return "arn:aws:ecs:" + s.region + ":" + s.account + ":task/" + cluster + "/" + id
}

func (s *Server) taskDefARN(family string, rev int) string {
	return "arn:aws:ecs:" + s.region + ":" + s.account + ":task-definition/" + family + ":" + strconv.Itoa(rev)
}

func (s *Server) containerARN(cluster, taskID, uuid string) string {
	return "arn:aws:ecs:" + s.region + ":" + s.account + ":container/" + cluster + "/" + taskID + "/" + uuid
}

// clusterName accepts a cluster name or ARN; "" means "default", as in AWS.
func clusterName(ref string) string {
	if ref == "" {
		return "default"
	}
	if strings.HasPrefix(ref, "arn:") {
		if _, name, ok := strings.Cut(ref, ":cluster/"); ok {
			return name
		}
	}
	return ref
}

// clusterLocked resolves a cluster reference or reports ClusterNotFoundException.
func (s *Server) clusterLocked(ref string) (*ecsCluster, *apiError) {
	c := s.ecs.clusters[clusterName(ref)]
	if c == nil {
		return nil, errClusterNotFound()
	}
	return c, nil
}

// taskLocked finds a task of cluster c by id or ARN. An ARN naming another
// cluster (or the old ARN format without a cluster) does not match.
func (s *Server) taskLocked(c *ecsCluster, ref string) *ecsTask {
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		_, path, ok := strings.Cut(ref, ":task/")
		if !ok {
			return nil
		}
		cl, tid, ok := strings.Cut(path, "/")
		if !ok || clusterName(cl) != c.name {
			return nil
		}
		id = tid
	}
	t := s.ecs.tasks[id]
	if t == nil || t.cluster != c {
		return nil
	}
	return t
}

// taskDefLocked resolves "family", "family:rev" or a task definition ARN;
// a bare family means its latest revision.
func (s *Server) taskDefLocked(ref string) *ecsTaskDef {
	if strings.HasPrefix(ref, "arn:") {
		_, rest, ok := strings.Cut(ref, ":task-definition/")
		if !ok {
			return nil
		}
		ref = rest
	}
	family, revText, hasRev := strings.Cut(ref, ":")
	revs := s.ecs.families[family]
	if len(revs) == 0 {
		return nil
	}
	if !hasRev {
		return revs[len(revs)-1]
	}
	rev, err := strconv.Atoi(revText)
	if err != nil || rev < 1 || rev > len(revs) {
		return nil
	}
	return revs[rev-1]
}

// hexID returns n random bytes as lower-case hex.
func (e *ecsState) hexID(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, 2*n)
	for i := 0; i < n; i++ {
		v := e.rng.Uint32()
		b[2*i], b[2*i+1] = digits[v>>4&0xf], digits[v&0xf]
	}
	return string(b)
}

// uuid returns a version-4-shaped UUID.
func (e *ecsState) uuid() string {
	h := e.hexID(16)
	return h[0:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
}

// Paging tokens are opaque to clients, as in AWS; inside they carry the
// position to resume from.
func encodeToken(pos int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("p:" + strconv.FormatInt(pos, 10)))
}

func decodeToken(tok string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(raw), "p:")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(rest, 10, 64)
	return n, err == nil && n >= 0
}

// pageSize validates an optional maxResults (1..100, default 100).
func pageSize(max *int32) (int, *apiError) {
	if max == nil {
		return 100, nil
	}
	if *max < 1 || *max > 100 {
		return 0, errBadRequest(codeInvalidParam, "maxResults must be between 1 and 100, got %d.", *max)
	}
	return int(*max), nil
}

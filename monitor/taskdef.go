package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"golang.org/x/sync/singleflight"
)

// TaskDefinitionAPI is the ECS operation the task definition cache calls;
// *ecs.Client satisfies it.
type TaskDefinitionAPI interface {
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, optFns ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// TaskDefInfo is what the monitor needs from a task definition: which
// containers are essential and where their logs go. The zero value (used
// when the definition could not be read) calls every container essential
// and has no log links.
type TaskDefInfo struct {
	containers map[string]containerDef
	region     string
	console    string
}

type containerDef struct {
	essential bool
	logGroup  string
	logPrefix string
	logRegion string
}

// Essential reports whether the container is essential. Unknown containers
// (or an unknown task definition) count as essential, so a failure is
// reported rather than missed.
func (i TaskDefInfo) Essential(container string) bool {
	c, ok := i.containers[container]
	return !ok || c.essential
}

// LogURL links to the container's CloudWatch Logs stream of this task, or
// "" when the container does not use the awslogs driver. Without a stream
// prefix (allowed on EC2) the stream name is the container's runtime id,
// which the event does not carry, so the link goes to the log group.
func (i TaskDefInfo) LogURL(container, taskID string) string {
	c, ok := i.containers[container]
	if !ok || c.logGroup == "" {
		return ""
	}
	region := c.logRegion
	if region == "" {
		region = i.region
	}
	if region == "" {
		return ""
	}
	stream := ""
	if c.logPrefix != "" && taskID != "" {
		stream = c.logPrefix + "/" + container + "/" + taskID
	}
	return Console{Base: i.console}.LogsURL(region, c.logGroup, stream)
}

// Cache bounds: task definitions in use are few (one revision per job,
// a handful during a deploy); the cap only guards against a runaway.
const (
	taskDefCacheMax = 1024
	// taskDefRetryAfter is how long a failed lookup is remembered before
	// DescribeTaskDefinition is tried again for that ARN.
	taskDefRetryAfter = 5 * time.Minute
)

// TaskDefinitions caches DescribeTaskDefinition per task definition ARN
// (the ARN carries the revision, and a revision never changes). Concurrent
// lookups of one ARN share one call. Safe for concurrent use.
type TaskDefinitions struct {
	api     TaskDefinitionAPI
	region  string
	console string
	logger  *slog.Logger
	now     func() time.Time
	group   singleflight.Group

	mu      sync.Mutex
	entries map[string]taskDefEntry
	warned  map[string]bool // ARNs whose lookup failure was logged
}

type taskDefEntry struct {
	info     TaskDefInfo
	err      error
	failedAt time.Time
}

// TaskDefOption adjusts a TaskDefinitions.
type TaskDefOption func(*TaskDefinitions)

// WithConsoleURL sets the AWS console base of log links (the demo and tests
// point it elsewhere; config.Slack.ConsoleURL).
func WithConsoleURL(base string) TaskDefOption {
	return func(d *TaskDefinitions) { d.console = base }
}

// WithTaskDefClock injects the clock used to expire remembered failures.
func WithTaskDefClock(now func() time.Time) TaskDefOption {
	return func(d *TaskDefinitions) { d.now = now }
}

// NewTaskDefinitions returns an empty cache. region is the cluster's region,
// used for log links when the awslogs configuration names none. A nil api
// makes every lookup fail (all containers essential, no links).
func NewTaskDefinitions(api TaskDefinitionAPI, region string, logger *slog.Logger, opts ...TaskDefOption) *TaskDefinitions {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	d := &TaskDefinitions{
		api:     api,
		region:  region,
		logger:  logger.With("component", "taskdefs"),
		now:     time.Now,
		entries: map[string]taskDefEntry{},
		warned:  map[string]bool{},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// errNoTaskDefAPI is returned when the cache has no ECS client.
var errNoTaskDefAPI = errors.New("no ECS client for task definitions")

// Get returns the task definition's info. On error the returned info is
// still usable: every container essential, no log links. A failure is
// logged once per ARN and remembered for a few minutes, so a burst of
// failed tasks does not hammer a throttled or forbidden API.
func (d *TaskDefinitions) Get(ctx context.Context, arn string) (TaskDefInfo, error) {
	fallback := TaskDefInfo{region: d.region, console: d.console}
	if arn == "" {
		return fallback, errors.New("describe task definition: task has no task definition ARN")
	}
	d.mu.Lock()
	e, ok := d.entries[arn]
	if ok && e.err != nil && d.now().Sub(e.failedAt) >= taskDefRetryAfter {
		ok = false
	}
	d.mu.Unlock()
	if ok {
		if e.err != nil {
			return fallback, e.err
		}
		return e.info, nil
	}
	v, err, _ := d.group.Do(arn, func() (any, error) { return d.describe(ctx, arn) })
	if err != nil {
		if ctx.Err() == nil {
			d.remember(arn, taskDefEntry{err: err, failedAt: d.now()})
			d.warnOnce(arn, err)
		}
		return fallback, err
	}
	info := v.(TaskDefInfo)
	d.remember(arn, taskDefEntry{info: info})
	return info, nil
}

func (d *TaskDefinitions) describe(ctx context.Context, arn string) (TaskDefInfo, error) {
	if d.api == nil {
		return TaskDefInfo{}, fmt.Errorf("describe task definition %s: %w", arn, errNoTaskDefAPI)
	}
	out, err := d.api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: &arn})
	if err != nil {
		return TaskDefInfo{}, fmt.Errorf("describe task definition %s: %w", arn, err)
	}
	if out == nil || out.TaskDefinition == nil {
		return TaskDefInfo{}, fmt.Errorf("describe task definition %s: empty response", arn)
	}
	return taskDefInfo(out.TaskDefinition, d.region, d.console), nil
}

func taskDefInfo(td *ecstypes.TaskDefinition, region, console string) TaskDefInfo {
	info := TaskDefInfo{containers: map[string]containerDef{}, region: region, console: console}
	for _, c := range td.ContainerDefinitions {
		if c.Name == nil {
			continue
		}
		// ECS defaults essential to true when the definition omits it.
		def := containerDef{essential: c.Essential == nil || *c.Essential}
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == ecstypes.LogDriverAwslogs {
			def.logGroup = lc.Options["awslogs-group"]
			def.logPrefix = lc.Options["awslogs-stream-prefix"]
			def.logRegion = lc.Options["awslogs-region"]
		}
		info.containers[*c.Name] = def
	}
	return info
}

func (d *TaskDefinitions) remember(arn string, e taskDefEntry) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.entries[arn]; !ok && len(d.entries) >= taskDefCacheMax {
		for k := range d.entries { // evict any one; revisions in use get re-read
			delete(d.entries, k)
			break
		}
	}
	d.entries[arn] = e
	if e.err == nil {
		delete(d.warned, arn)
	}
}

func (d *TaskDefinitions) warnOnce(arn string, err error) {
	d.mu.Lock()
	first := !d.warned[arn]
	if first && len(d.warned) < taskDefCacheMax {
		d.warned[arn] = true
	}
	d.mu.Unlock()
	if first {
		d.logger.Warn("cannot read task definition; treating all containers as essential, no log links",
			"task_definition", arn, "err", err)
	}
}

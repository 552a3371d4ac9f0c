package awssim

import (
	"strconv"
	"time"
)

// The JSON shapes below follow the ECS service model as the aws-sdk-go-v2
// schemas declare it (service/ecs/schemas, response_snapshot/*.snap).
// Optional members are omitted when unset, as AWS does.

// epochSeconds renders a timestamp the way ECS JSON 1.1 does: seconds since
// the epoch as a JSON number, with milliseconds as a fraction.
type epochSeconds time.Time

func (t epochSeconds) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// isoTime renders a timestamp the way EventBridge event details do:
// ISO-8601 in UTC with milliseconds.
type isoTime time.Time

func (t isoTime) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, time.Time(t).UTC().Format(isoMillis)), nil
}

const isoMillis = "2006-01-02T15:04:05.000Z"

// stamp converts a time to the wire form T, nil (omitted) if zero.
func stamp[T epochSeconds | isoTime](t time.Time) *T {
	if t.IsZero() {
		return nil
	}
	v := T(t)
	return &v
}

// taskWire is an ECS Task; T picks the timestamp rendering, so one shape
// serves both DescribeTasks (epoch seconds) and the Task State Change event
// detail (ISO-8601), which "resembles the Task object".
type taskWire[T epochSeconds | isoTime] struct {
	AvailabilityZone   string          `json:"availabilityZone,omitempty"`
	ClusterArn         string          `json:"clusterArn"`
	Connectivity       string          `json:"connectivity,omitempty"`
	ConnectivityAt     *T              `json:"connectivityAt,omitempty"`
	Containers         []containerWire `json:"containers"`
	Cpu                string          `json:"cpu,omitempty"`
	CreatedAt          *T              `json:"createdAt,omitempty"`
	DesiredStatus      string          `json:"desiredStatus"`
	ExecutionStoppedAt *T              `json:"executionStoppedAt,omitempty"`
	Group              string          `json:"group,omitempty"`
	LastStatus         string          `json:"lastStatus"`
	LaunchType         string          `json:"launchType"`
	Memory             string          `json:"memory,omitempty"`
	PlatformVersion    string          `json:"platformVersion,omitempty"`
	PlatformFamily     string          `json:"platformFamily,omitempty"`
	PullStartedAt      *T              `json:"pullStartedAt,omitempty"`
	PullStoppedAt      *T              `json:"pullStoppedAt,omitempty"`
	StartedAt          *T              `json:"startedAt,omitempty"`
	StartedBy          string          `json:"startedBy,omitempty"`
	StopCode           string          `json:"stopCode,omitempty"`
	StoppedAt          *T              `json:"stoppedAt,omitempty"`
	StoppedReason      string          `json:"stoppedReason,omitempty"`
	StoppingAt         *T              `json:"stoppingAt,omitempty"`
	TaskArn            string          `json:"taskArn"`
	TaskDefinitionArn  string          `json:"taskDefinitionArn"`
	UpdatedAt          *T              `json:"updatedAt,omitempty"` // events only
	Version            int64           `json:"version"`
}

type containerWire struct {
	ContainerArn string `json:"containerArn"`
	TaskArn      string `json:"taskArn"`
	Name         string `json:"name"`
	Image        string `json:"image,omitempty"`
	LastStatus   string `json:"lastStatus"`
	ExitCode     *int   `json:"exitCode,omitempty"` // absent while running or if it never ran
	Reason       string `json:"reason,omitempty"`
	Cpu          string `json:"cpu,omitempty"`
}

// renderTask builds the wire form of a task. withUpdatedAt adds the
// event-only updatedAt member.
func renderTask[T epochSeconds | isoTime](t *ecsTask, withUpdatedAt bool) taskWire[T] {
	w := taskWire[T]{
		AvailabilityZone:   t.az,
		ClusterArn:         t.cluster.arn,
		CreatedAt:          stamp[T](t.createdAt),
		Cpu:                t.def.cpuOrDefault(),
		DesiredStatus:      t.desiredStatus,
		ExecutionStoppedAt: stamp[T](t.executionStoppedAt),
		Group:              t.group,
		LastStatus:         t.lastStatus,
		LaunchType:         t.launchType,
		Memory:             t.def.memoryOrDefault(),
		PlatformVersion:    "1.4.0",
		PlatformFamily:     "Linux",
		PullStartedAt:      stamp[T](t.pullStartedAt),
		PullStoppedAt:      stamp[T](t.pullStoppedAt),
		StartedAt:          stamp[T](t.startedAt),
		StartedBy:          t.startedBy,
		StopCode:           t.stopCode,
		StoppedAt:          stamp[T](t.stoppedAt),
		StoppedReason:      t.stoppedReason,
		StoppingAt:         stamp[T](t.stoppingAt),
		TaskArn:            t.arn,
		TaskDefinitionArn:  t.def.arn,
		Version:            t.version,
		Containers:         make([]containerWire, len(t.containers)),
	}
	if !t.pullStartedAt.IsZero() {
		// Fargate attaches the ENI before pulling: connected from then on.
		w.Connectivity, w.ConnectivityAt = "CONNECTED", stamp[T](t.pullStartedAt)
	}
	if withUpdatedAt {
		w.UpdatedAt = stamp[T](t.updatedAt)
	}
	for i, c := range t.containers {
		w.Containers[i] = containerWire{
			ContainerArn: c.arn,
			TaskArn:      t.arn,
			Name:         c.name,
			Image:        c.image,
			LastStatus:   c.lastStatus,
			ExitCode:     c.exitCode,
			Reason:       c.reason,
			Cpu:          "0",
		}
	}
	return w
}

// failureWire is an ECS Failure (DescribeTasks, DescribeClusters, RunTask).
type failureWire struct {
	Arn    string `json:"arn,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
}

type clusterWire struct {
	ClusterArn                        string `json:"clusterArn"`
	ClusterName                       string `json:"clusterName"`
	Status                            string `json:"status"`
	RegisteredContainerInstancesCount int    `json:"registeredContainerInstancesCount"`
	RunningTasksCount                 int    `json:"runningTasksCount"`
	PendingTasksCount                 int    `json:"pendingTasksCount"`
	ActiveServicesCount               int    `json:"activeServicesCount"`
}

type logConfigWire struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options,omitempty"`
}

type containerDefWire struct {
	Name             string         `json:"name"`
	Image            string         `json:"image"`
	Essential        *bool          `json:"essential,omitempty"`
	Cpu              int32          `json:"cpu"`
	Memory           *int32         `json:"memory,omitempty"`
	Command          []string       `json:"command,omitempty"`
	LogConfiguration *logConfigWire `json:"logConfiguration,omitempty"`
}

type taskDefWire struct {
	TaskDefinitionArn       string             `json:"taskDefinitionArn"`
	Family                  string             `json:"family"`
	Revision                int                `json:"revision"`
	Status                  string             `json:"status"`
	ContainerDefinitions    []containerDefWire `json:"containerDefinitions"`
	Cpu                     string             `json:"cpu,omitempty"`
	Memory                  string             `json:"memory,omitempty"`
	NetworkMode             string             `json:"networkMode,omitempty"`
	RequiresCompatibilities []string           `json:"requiresCompatibilities,omitempty"`
	Compatibilities         []string           `json:"compatibilities"`
	ExecutionRoleArn        string             `json:"executionRoleArn,omitempty"`
	TaskRoleArn             string             `json:"taskRoleArn,omitempty"`
	RegisteredAt            *epochSeconds      `json:"registeredAt,omitempty"`
}

// taskEvent is the EventBridge envelope of an ECS Task State Change.
type taskEvent struct {
	Version    string            `json:"version"`
	ID         string            `json:"id"`
	DetailType string            `json:"detail-type"`
	Source     string            `json:"source"`
	Account    string            `json:"account"`
	Time       string            `json:"time"`
	Region     string            `json:"region"`
	Resources  []string          `json:"resources"`
	Detail     taskWire[isoTime] `json:"detail"`
}

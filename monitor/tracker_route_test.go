package monitor

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// findingsSink keeps what a poller reports.
type findingsSink struct {
	mu sync.Mutex
	fs []Finding
}

func (s *findingsSink) Handle(f Finding) { s.mu.Lock(); s.fs = append(s.fs, f); s.mu.Unlock() }

func (s *findingsSink) ObserveCount(string, string, int, int, time.Time) {}

func (s *findingsSink) take() []Finding {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.fs
	s.fs = nil
	return fs
}

// routeCluster is a cluster whose job etl may run once and alerts at
// webhook.
func routeCluster(t *testing.T, webhook string) (*Jobs, PollerOptions) {
	t.Helper()
	cfg := parseConfig(t, "[slack]\nwebhook_url = \"https://hooks.slack.com/services/T0/B0/global\"\n[[cluster]]\nname = \"cron\"\nregion = \"ap-northeast-1\"\ntask_limit = 10\n"+
		"[[cluster.job]]\nfamily = \"etl\"\nmax_concurrent = 1\nslack_webhook_url = \""+webhook+"\"\n")
	c := cfg.Clusters[0]
	jobs := NewJobs(c, cfg.Events)
	return jobs, PollerOptions{Cluster: c, Jobs: jobs}
}

// etlTasks lists n running copies of etl.
func etlTasks(n *int) ecsFuncs {
	return ecsFuncs{
		list: func(*ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
			var arns []string
			for i := range *n {
				arns = append(arns, "arn:etl:"+string(rune('a'+i)))
			}
			return &ecs.ListTasksOutput{TaskArns: arns}, nil
		},
		describe: func(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
			var out ecs.DescribeTasksOutput
			for _, arn := range in.Tasks {
				out.Tasks = append(out.Tasks, types.Task{TaskArn: aws.String(arn), LastStatus: aws.String("RUNNING"), Version: 1,
					Group: aws.String("family:etl"), TaskDefinitionArn: aws.String("arn:aws:ecs:ap-northeast-1:1:task-definition/etl:1")})
			}
			return &out, nil
		},
	}
}

// An incident restored from the store after its job's route changed in
// the configuration resolves at the new route, over either store (the
// records keep no route); one carried over a reload without a store too.
func TestRestoredIncidentResolvesAtCurrentRoute(t *testing.T) {
	const oldHook, newHook = "https://hooks.slack.com/services/T0/B1/old", "https://hooks.slack.com/services/T0/B2/new"
	_, dyn := dynamoSim(t)
	for name, store := range map[string]IncidentStore{"memory": NewMemoryStore(), "dynamodb": dyn, "carried over a reload": nil} {
		t.Run(name, func(t *testing.T) {
			now := time.Date(2026, 3, 9, 2, 0, 0, 0, time.UTC)
			copies := 2
			sink := &findingsSink{}
			_, o := routeCluster(t, oldHook)
			o.ECS, o.Sink, o.Incidents, o.Now = etlTasks(&copies), sink, store, func() time.Time { return now }
			first := NewPoller(o)
			if err := first.PollAndReport(t.Context()); err != nil {
				t.Fatal(err)
			}
			fs := sink.take()
			if len(fs) != 1 || fs[0].Kind != KindDuplicateRun || fs[0].Route.WebhookURL.Reveal() != oldHook {
				t.Fatalf("first poll: %+v, want duplicate_run opened at the old webhook", fs)
			}

			// Restarted (or reloaded) with the job's webhook changed.
			_, o2 := routeCluster(t, newHook)
			o2.ECS, o2.Sink, o2.Incidents, o2.Now = etlTasks(&copies), sink, store, func() time.Time { return now }
			if store == nil {
				o2.Tracker = first.Tracker()
			}
			second := NewPoller(o2)
			copies = 1
			now = now.Add(time.Minute)
			if err := second.PollAndReport(t.Context()); err != nil {
				t.Fatal(err)
			}
			var resolved []Finding
			for _, f := range sink.take() {
				if f.Transition == Resolved {
					resolved = append(resolved, f)
				}
			}
			if len(resolved) != 1 || resolved[0].Kind != KindDuplicateRun {
				t.Fatalf("after the restart: %+v, want duplicate_run resolved", resolved)
			}
			if got := resolved[0].Route.WebhookURL.Reveal(); got != newHook {
				t.Errorf("resolved at %q, want the configured %q", got, newHook)
			}
		})
	}
}

// A record stored before routes were left out still carries one (its
// webhook already redacted to "[redacted]" by the encoding): it is not
// read back, and records written now hold no route.
func TestStoredIncidentRouteIgnored(t *testing.T) {
	old := `[{"obs":{"Kind":"duplicate_run","Severity":"warning","Cluster":"cron","Job":"etl","Value":2,"Limit":1,` +
		`"Route":{"Channel":"#old","WebhookURL":"[redacted]","Mention":"@old"}},"since":"2026-03-09T02:00:00Z","peak":2,"last_notified":"2026-03-09T02:00:00Z"}]`
	var recs []IncidentRecord
	if err := json.Unmarshal([]byte(old), &recs); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].Obs.Job != "etl" || recs[0].Obs.Route != (Route{}) {
		t.Fatalf("old record read as %+v, want its route ignored", recs)
	}
	jobs, _ := routeCluster(t, "https://hooks.slack.com/services/T0/B2/new")
	tr := NewTracker(0)
	tr.Restore(recs)
	tr.reroute(jobs)
	if r := tr.open[recs[0].Obs.key()].obs.Route; r.WebhookURL.Reveal() != "https://hooks.slack.com/services/T0/B2/new" || r.Channel != "" {
		t.Errorf("restored route %+v, want the configured one", r)
	}
	recs[0].Obs.Route = Route{Channel: "#c", WebhookURL: "https://hooks.slack.com/services/T0/B3/secretSECRET"}
	b, err := json.Marshal(recs)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "Route") || strings.Contains(string(b), "#c") || strings.Contains(string(b), "SECRET") {
		t.Errorf("record stored with its route: %s", b)
	}
}

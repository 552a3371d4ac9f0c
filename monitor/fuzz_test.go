package monitor

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseEvent checks that no message body makes the parser (or the
// classification of what it returns) panic, and that whatever it accepts
// has the fields the consumer relies on.
func FuzzParseEvent(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(sampleEvents, "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed events: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(snsWrap(f, b))
	}
	f.Add([]byte(`{"Type":"Notification","Message":"{}"}`))
	f.Add([]byte(`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"a","clusterArn":"b","startedAt":1e300}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ev, err := ParseEvent(body)
		if err != nil {
			return
		}
		if ev.Task.ARN == "" || ev.ClusterARN == "" || ev.DedupKey() == "" {
			t.Fatalf("accepted an event without identity: %+v", ev)
		}
		fail := Classify(ev.Task, JobRef{ReportSidecars: true}, nil)
		if fail != nil && fail.Cause == "" {
			t.Fatalf("failure without cause: %+v", fail)
		}
		_ = failureMessage(orEmpty(fail))
	})
}

func orEmpty(f *Failure) *Failure {
	if f == nil {
		return &Failure{}
	}
	return f
}

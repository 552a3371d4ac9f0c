package monitor

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// scanCases are bodies at the edges of what encoding/json accepts: the
// fast path must either agree with decodeEvent or hand the body to it.
var scanCases = []string{
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"arn:aws:ecs:eu-west-1:1:cluster/c"}}`,
	`{"SOURCE":"aws.ecs","Detail-Type":"ECS Task State Change","ID":"x","detail":{"TASKARN":"t","clusterarn":"c","Version":3}}`,
	`{"source":"aws.ecs","source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","taskarn":"u","clusterArn":"c"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","id":null,"region":null,"detail":{"taskArn":"t","clusterArn":"c","group":null,"containers":null}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","id":5,"detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","version":"6"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","version":6.0}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","version":-7}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","version":99999999999999999999}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t\u00e9\n\"q\"","clusterArn":"c","stoppedReason":"caf\u00e9 ☕"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","stoppedReason":"bad \xff utf8"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","stoppedReason":"\ud800 lone"}}`,
	`{"sour\u0063e":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"ſource":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","containers":[{"name":"a","exitCode":1},{"name":"b","exitCode":null},{"exitCode":-0}]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","containers":[null,{"name":"a"}]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","containers":[{"name":"a","exitCode":1.5}]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","containers":[]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","containers":{}}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","time":1741482167.5,"detail":{"taskArn":"t","clusterArn":"c","startedAt":"2026-03-09T01:00:24.319+09:00","stoppedAt":1e300,"createdAt":{"a":[1,2]},"stoppingAt":true}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","time":"2026-03-09T01:02:47\u005a","detail":{"taskArn":"t","clusterArn":"c","startedAt":"garbage","stoppedAt":null}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":null}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":[1]}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change"}`,
	`{"source":"aws.ecs","detail-type":"other","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}} x`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","x":[01]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","x":[1.]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","x":"\x01"}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","x":[tru]}}`,
	`{"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","x":{"a":1,}}}`,
	` {"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c","x":[{},[],"",-1.5e+3,true,false,null]}}` + "\n\t",
	`{"Type":"Notification","Message":"{\"source\":\"aws.ecs\",\"detail-type\":\"ECS Task State Change\",\"detail\":{\"taskArn\":\"t\",\"clusterArn\":\"c\"}}"}`,
	`{"type":"Notification","message":"{\"source\":\"aws.ecs\",\"detail-type\":\"ECS Task State Change\",\"detail\":{\"taskArn\":\"t\",\"clusterArn\":\"c\"}}","id":5}`,
	`{"Type":"Notification","Message":"","source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"Type":"Other","Message":"x","source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`{"Type":7,"source":"aws.ecs","detail-type":"ECS Task State Change","detail":{"taskArn":"t","clusterArn":"c"}}`,
	`null`,
	`[]`,
	`"x"`,
	``,
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
}

// checkScanAgrees fails if the fast path accepts a body and says anything
// but what decodeEvent says of it.
func checkScanAgrees(t *testing.T, body []byte) (fast bool) {
	t.Helper()
	got, ok := scanEvent(string(body))
	if !ok {
		return false
	}
	want, err := decodeEvent(body)
	if err != nil {
		t.Fatalf("fast path accepted what encoding/json rejects (%v): %q", err, body)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("fast path and encoding/json differ on %q:\n got %+v\nwant %+v", body, got, want)
	}
	return true
}

func TestScanEventAgreesWithDecode(t *testing.T) {
	fast := 0
	for _, c := range scanCases {
		if checkScanAgrees(t, []byte(c)) {
			fast++
		}
	}
	if fast < 10 {
		t.Errorf("only %d of %d edge cases took the fast path; the cases test little", fast, len(scanCases))
	}
}

// Every sample event, raw and through SNS, takes the fast path: the
// benchmarks measure it, and the fallback is for the unusual.
func TestScanEventTakesSamples(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(sampleEvents, "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range [][]byte{b, snsWrap(t, b)} {
			if !checkScanAgrees(t, body) {
				t.Errorf("%s: not taken by the fast path", name)
			}
		}
	}
}

// The strings of a parsed event share one small allocation, not the body.
func TestScanEventCompactsStrings(t *testing.T) {
	body := string(readEvent(t, "stopped-essential-exit1.json"))
	ev, ok := scanEvent(body)
	if !ok {
		t.Fatal("sample not taken by the fast path")
	}
	lo := uintptr(unsafe.Pointer(unsafe.StringData(body)))
	hi := lo + uintptr(len(body))
	for _, s := range []string{ev.ID, ev.Task.ARN, ev.Task.StoppedReason, ev.Task.Containers[0].Image} {
		if p := uintptr(unsafe.Pointer(unsafe.StringData(s))); p >= lo && p < hi {
			t.Errorf("%q points into the message body", s)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { _, _ = scanEvent(body) }); allocs > 3 {
		t.Errorf("%v allocations per event, want at most 3 (strings, containers, exit code)", allocs)
	}
}

// FuzzScanEventMatchesDecode: whatever the fast path accepts, encoding/json
// decodes to the same event.
func FuzzScanEventMatchesDecode(f *testing.F) {
	for _, c := range scanCases {
		f.Add([]byte(c))
	}
	files, _ := filepath.Glob(filepath.Join(sampleEvents, "*.json"))
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
			f.Add(snsWrap(f, b))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkScanAgrees(t, body) })
}

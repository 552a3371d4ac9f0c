package notifier

import (
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/DataDog/datadog-go/v5/statsd"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// deterministic turns off what would add datagrams or fields the test does
// not control: telemetry, aggregation and origin detection.
var deterministic = []statsd.Option{statsd.WithoutTelemetry(), statsd.WithoutClientSideAggregation(), statsd.WithoutOriginDetection()}

// readDatagrams reads until it has n lines or a second passes.
func readDatagrams(t *testing.T, conn net.PacketConn, n int) []string {
	t.Helper()
	var lines []string
	buf := make([]byte, 65536)
	_ = conn.SetReadDeadline(time.Now().Add(time.Second))
	for len(lines) < n {
		k, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("read datagrams (have %q): %v", lines, err)
		}
		for _, l := range strings.Split(strings.TrimRight(string(buf[:k]), "\n"), "\n") {
			if l != "" {
				lines = append(lines, l)
			}
		}
	}
	sort.Strings(lines)
	return lines
}

func sendAll(t *testing.T, d *Datadog) {
	t.Helper()
	d.Gauge("cluster.tasks", 48, []string{"cluster:cron"})
	d.Count("incidents.opened", 2, []string{"kind:task_limit"})
	d.Distribution("run.duration", 62.5, []string{"job:etl"})
	d.ServiceCheck("can_see_cluster", monitor.CheckCritical, "AccessDenied", []string{"cluster:batch"})
	d.ServiceCheck("poller", monitor.CheckStatus(9), "", nil)
	if err := d.Flush(); err != nil {
		t.Fatal(err)
	}
}

var wantDatagrams = []string{
	"_sc|ecs_cron.can_see_cluster|2|#env:test,cluster:batch|m:AccessDenied",
	"_sc|ecs_cron.poller|3|#env:test",
	"ecs_cron.cluster.tasks:48|g|#env:test,cluster:cron",
	"ecs_cron.incidents.opened:2|c|#env:test,kind:task_limit",
	"ecs_cron.run.duration:62.5|d|#env:test,job:etl",
}

func TestDatadogUDPDatagrams(t *testing.T) {
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	d, err := NewDatadog(config.Datadog{Address: conn.LocalAddr().String(), Namespace: "ecs_cron", Tags: []string{"env:test"}}, nil, deterministic...)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}()
	sendAll(t, d)
	if got := readDatagrams(t, conn, len(wantDatagrams)); !reflect.DeepEqual(got, wantDatagrams) {
		t.Errorf("datagrams\n%q\nwant\n%q", got, wantDatagrams)
	}
}

func TestDatadogUnixSocket(t *testing.T) {
	dir, err := os.MkdirTemp("", "dd") // short path: sun_path is ~108 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "dsd.sock")
	conn, err := net.ListenPacket("unixgram", path)
	if err != nil {
		t.Skipf("unixgram unavailable: %v", err)
	}
	defer conn.Close()
	d, err := NewDatadog(config.Datadog{Address: "unix://" + path, Namespace: "ecs_cron.", Tags: []string{"env:test"}}, nil, deterministic...)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	sendAll(t, d)
	if got := readDatagrams(t, conn, len(wantDatagrams)); !reflect.DeepEqual(got, wantDatagrams) {
		t.Errorf("datagrams\n%q\nwant\n%q", got, wantDatagrams)
	}
}

func TestDatadogRejectsEmptyAddress(t *testing.T) {
	if _, err := NewDatadog(config.Datadog{}, nil); err == nil {
		t.Error("NewDatadog accepted an empty address")
	}
}

func TestMetricErrorsAreRateLimited(t *testing.T) {
	var logs logCapture
	now := t0
	l := &errorLimiter{log: logs.logger(), every: time.Minute, now: func() time.Time { return now }}
	for range 5 {
		l.handle(net.ErrClosed)
	}
	l.handle(nil)
	if n := strings.Count(logs.String(), "sending metrics failed"); n != 1 {
		t.Fatalf("%d log lines for 5 errors within a minute, want 1:\n%s", n, logs.String())
	}
	now = now.Add(61 * time.Second)
	l.handle(net.ErrClosed)
	if n := strings.Count(logs.String(), "sending metrics failed"); n != 2 {
		t.Fatalf("%d log lines after the interval, want 2", n)
	}
	if !strings.Contains(logs.String(), "suppressed_since_last_log=4") {
		t.Errorf("second line does not count the 4 suppressed errors:\n%s", logs.String())
	}
}

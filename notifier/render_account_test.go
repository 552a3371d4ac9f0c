package notifier

import (
	"testing"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// An account-wide finding (the Fargate quota's monitor_error) has no
// cluster: no empty Cluster field, but its region.
func TestAlertFieldsWithoutCluster(t *testing.T) {
	f := monitor.Finding{Kind: monitor.KindMonitorError, Severity: monitor.SeverityCritical, Transition: monitor.Opened,
		Region: "ap-northeast-1", Message: "cannot read the Fargate OnDemand vCPU quota"}
	names := map[string]string{}
	for _, fl := range alertFields(f, Style{}) {
		names[fl.name] = fl.value
	}
	if _, ok := names["Cluster"]; ok {
		t.Errorf("fields %v: an empty Cluster field", names)
	}
	if names["Region"] != "ap-northeast-1" {
		t.Errorf("fields %v: want the region", names)
	}
}

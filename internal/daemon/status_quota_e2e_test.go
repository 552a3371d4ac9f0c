package daemon

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awssim"
)

// With [quota] on, each cluster's header on the status page shows its
// account (alias and id) and that account's Fargate vCPU in use against
// the quota per class, read from the simulator; the quota alert names the
// account by its configured alias too.
func TestE2EStatusPageFargateQuota(t *testing.T) {
	e, _, q, dlq := launchEnv(t, time.Date(2026, 3, 9, 1, 0, 0, 0, time.UTC))
	e.sim.SetFargateQuota(awssim.FargateOnDemand, 40)
	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 36)
	e.sim.SetFargateQuota(awssim.FargateSpot, 100)
	e.sim.SetFargateBaseUsage(awssim.FargateSpot, 2.5)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.listener = ln
	base := "http://" + ln.Addr().String()
	toml := strings.Replace(launchTOML(q, dlq, true), "name = \"cron\"\n", "name = \"cron\"\naccount_alias = \"prod\"\ntask_limit = 20\n", 1)
	e.start(e.config(toml))

	onDemand := `<p class="tasks quota warn" data-class="OnDemand">Fargate vCPU: 36 of 40 On-Demand (90%)</p>`
	spot := `<p class="tasks quota" data-class="Spot">Fargate vCPU: 2.5 of 100 Spot (3%)</p>`
	eventually(t, "the quota readings on the page", func() bool {
		page := get(t, base+"/")
		return strings.Contains(page, onDemand) && strings.Contains(page, spot)
	})
	page := get(t, base+"/")
	header := page[strings.Index(page, `<section class="cluster" id="cluster-cron">`):]
	header = header[:strings.Index(header, `<div class="jobs">`)]
	for _, w := range []string{`<span class="muted account">prod (123456789012)</span> <span class="muted">ap-northeast-1</span>`, onDemand, spot} {
		if !strings.Contains(header, w) {
			t.Errorf("cluster header lacks %q:\n%s", w, header)
		}
	}
	// The per-job JSON is unchanged: no quota in it.
	if api := get(t, base+"/api/jobs"); strings.Contains(api, "vcpu") || strings.Contains(api, "quota") {
		t.Errorf("/api/jobs carries the quota: %s", api)
	}

	eventually(t, "quota warning", func() bool { return len(e.postsWith("Fargate vCPU quota warning")) == 1 })
	if p := e.postsWith("Fargate vCPU quota warning")[0]; !strings.Contains(p.Text+p.Attachments, "prod (123456789012)") {
		t.Errorf("quota warning does not name the account by alias and id: %s %s", p.Text, p.Attachments)
	}
	if len(e.logs.logged(`"kind":"fargate_quota"`, `"account":"123456789012"`, `"account_alias":"prod"`)) == 0 {
		t.Error("no log line of the quota incident naming the account by id and alias")
	}

	e.sim.SetFargateBaseUsage(awssim.FargateOnDemand, 39)
	eventually(t, "the critical reading on the page", func() bool {
		return strings.Contains(get(t, base+"/"), `<p class="tasks quota bad" data-class="OnDemand">Fargate vCPU: 39 of 40 On-Demand (98%)</p>`)
	})
}

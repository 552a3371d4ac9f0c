package daemon

import (
	"strings"
	"testing"
)

// The start-up line says what runs (clusters with their regions, which
// notifiers), never a secret, and no empty "problems" (it was
// "problems":null).
func TestStartupLineNamesPartsNoSecrets(t *testing.T) {
	e := newEnv(t)
	e.sim.CreateCluster("cron")
	e.start(e.config(pollConfig))
	eventually(t, "start-up line", func() bool { return len(e.logs.logged("ecs-cron-monitor started")) == 1 })
	line := e.logs.logged("ecs-cron-monitor started")[0]
	for _, want := range []string{`"level":"INFO"`, `"clusters":["cron@ap-northeast-1"]`, `"notifiers":["datadog","slack"]`} {
		if !strings.Contains(line, want) {
			t.Errorf("start-up line lacks %s: %s", want, line)
		}
	}
	if strings.Contains(line, `"problems"`) {
		t.Errorf("a start without problems logs a problems attribute: %s", line)
	}
	if strings.Contains(line, "xoxb-test-token") {
		t.Errorf("start-up line shows the Slack token: %s", line)
	}
}

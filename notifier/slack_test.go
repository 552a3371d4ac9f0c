package notifier

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

const testToken = "xoxb-1111-2222-s3cr3tT0kenValue"

func newTestSlack(t *testing.T, cfg config.Slack, clock *fakeClock, opts SlackOptions) *Slack {
	t.Helper()
	if clock != nil {
		opts.Now, opts.Sleep = clock.Now, clock.Sleep
	}
	s, err := NewSlack(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func webhookCfg(f *fakeSlack) config.Slack {
	return config.Slack{WebhookURL: config.Secret(f.webhookURL())}
}

func botCfg(f *fakeSlack) config.Slack {
	return config.Slack{Token: testToken, Channel: "C0DEFAULT", APIURL: f.apiURL()}
}

func sampleFinding() monitor.Finding {
	return limitFinding(monitor.SeverityCritical, monitor.Opened, 48)
}

func TestNewSlackRejectsAmbiguousConfig(t *testing.T) {
	for name, cfg := range map[string]config.Slack{
		"none":             {},
		"both":             {WebhookURL: "https://hooks.slack.com/services/x", Token: testToken, Channel: "C1"},
		"token no channel": {Token: testToken},
	} {
		if _, err := NewSlack(cfg, SlackOptions{}); err == nil {
			t.Errorf("%s: NewSlack accepted %+v", name, cfg)
		}
	}
}

func TestWebhookPost(t *testing.T) {
	fake := newFakeSlack(t)
	s := newTestSlack(t, webhookCfg(fake), newFakeClock(), SlackOptions{})
	f := sampleFinding()
	f.Route = monitor.Route{Channel: "C0IGNORED", Mention: "<!subteam^S0123ABC>"}

	rcpt, err := s.Notify(context.Background(), f, monitor.Receipt{Channel: "C1", TS: "1.2"})
	if err != nil {
		t.Fatal(err)
	}
	if rcpt != (monitor.Receipt{}) {
		t.Errorf("webhook receipt %+v, want zero (webhooks cannot edit)", rcpt)
	}
	reqs := fake.requests()
	if len(reqs) != 1 || reqs[0].Path != webhookPath {
		t.Fatalf("requests %+v, want one webhook post", reqs)
	}
	var body struct {
		Text        string `json:"text"`
		Attachments []struct {
			Color  string            `json:"color"`
			Blocks []json.RawMessage `json:"blocks"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(reqs[0].Body, &body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(body.Text, "<!subteam^S0123ABC> Task limit critical") {
		t.Errorf("text %q does not start with the mention and the headline", body.Text)
	}
	if len(body.Attachments) != 1 || body.Attachments[0].Color != colorCritical || len(body.Attachments[0].Blocks) == 0 {
		t.Errorf("attachments %+v, want one red attachment with blocks", body.Attachments)
	}
}

func TestBotPostThenUpdate(t *testing.T) {
	fake := newFakeSlack(t)
	s := newTestSlack(t, botCfg(fake), newFakeClock(), SlackOptions{})
	ctx := context.Background()

	rcpt, err := s.Notify(ctx, sampleFinding(), monitor.Receipt{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (monitor.Receipt{Channel: "C0ALERTS", TS: "1773032400.000100"}); rcpt != want {
		t.Fatalf("receipt %+v, want %+v", rcpt, want)
	}
	resolved := limitFinding(monitor.SeverityCritical, monitor.Resolved, 20)
	rcpt2, err := s.Notify(ctx, resolved, rcpt)
	if err != nil {
		t.Fatal(err)
	}
	if rcpt2 != rcpt {
		t.Errorf("update receipt %+v, want the same message %+v", rcpt2, rcpt)
	}
	routed := sampleFinding()
	routed.Route.Channel = "C0TEAM"
	if _, err := s.Notify(ctx, routed, monitor.Receipt{}); err != nil {
		t.Fatal(err)
	}

	reqs := fake.requests()
	if len(reqs) != 3 {
		t.Fatalf("%d requests, want 3", len(reqs))
	}
	post, upd, team := reqs[0], reqs[1], reqs[2]
	if post.Path != "/chat.postMessage" || post.Form.Get("channel") != "C0DEFAULT" {
		t.Errorf("first request %s channel %q, want chat.postMessage to C0DEFAULT", post.Path, post.Form.Get("channel"))
	}
	if upd.Path != "/chat.update" || upd.Form.Get("channel") != "C0ALERTS" || upd.Form.Get("ts") != rcpt.TS {
		t.Errorf("second request %s %v, want chat.update of the first message", upd.Path, upd.Form)
	}
	if !strings.Contains(upd.Form.Get("attachments"), colorOK) {
		t.Error("update does not carry the resolved (green) attachment")
	}
	if team.Form.Get("channel") != "C0TEAM" {
		t.Errorf("routed finding went to %q, want C0TEAM", team.Form.Get("channel"))
	}
	for _, r := range reqs {
		if r.Form.Get("token") != testToken {
			t.Errorf("%s: token not sent", r.Path)
		}
		if r.Form.Get("parse") != "none" || r.Form.Has("link_names") {
			t.Errorf("%s: parse=%q link_names=%v, want parse=none and no link_names", r.Path, r.Form.Get("parse"), r.Form.Has("link_names"))
		}
	}
}

func TestUpdateOfVanishedMessagePostsAnew(t *testing.T) {
	fake := newFakeSlack(t, reply{status: 200, header: map[string]string{"Content-Type": "application/json"}, body: `{"ok":false,"error":"message_not_found"}`})
	s := newTestSlack(t, botCfg(fake), newFakeClock(), SlackOptions{})
	rcpt, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{Channel: "C0ALERTS", TS: "1.000"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := fake.requests()
	if len(reqs) != 2 || reqs[0].Path != "/chat.update" || reqs[1].Path != "/chat.postMessage" {
		t.Fatalf("requests %v, want update then post", reqs)
	}
	if rcpt.TS != "1773032400.000100" {
		t.Errorf("receipt %+v, want the new message", rcpt)
	}
}

func TestRateLimitedHonoursRetryAfter(t *testing.T) {
	for name, cfg := range map[string]func(*fakeSlack) config.Slack{"webhook": webhookCfg, "bot": botCfg} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeSlack(t, reply{status: 429, header: map[string]string{"Retry-After": "1"}, body: `{"ok":false,"error":"ratelimited"}`})
			clock := newFakeClock()
			s := newTestSlack(t, cfg(fake), clock, SlackOptions{})
			if _, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{}); err != nil {
				t.Fatal(err)
			}
			if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{time.Second}) {
				t.Errorf("sleeps %v, want exactly the Retry-After [1s]", got)
			}
			if n := len(fake.requests()); n != 2 {
				t.Errorf("%d requests, want 2", n)
			}
		})
	}
}

func TestServerErrorsBackOff(t *testing.T) {
	fake := newFakeSlack(t, reply{status: 500}, reply{status: 502})
	clock := newFakeClock()
	s := newTestSlack(t, botCfg(fake), clock, SlackOptions{})
	if _, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{}); err != nil {
		t.Fatal(err)
	}
	if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{time.Second, 2 * time.Second}) {
		t.Errorf("sleeps %v, want [1s 2s]", got)
	}
	if n := len(fake.requests()); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestBackoffIsCappedAndGivesUp(t *testing.T) {
	script := make([]reply, 10)
	for i := range script {
		script[i] = reply{status: 503}
	}
	fake := newFakeSlack(t, script...)
	clock := newFakeClock()
	s := newTestSlack(t, webhookCfg(fake), clock, SlackOptions{MaxAttempts: 8})
	err := s.Summarize(context.Background(), richSummary())
	if err == nil || !strings.Contains(err.Error(), "giving up after 8 attempts") {
		t.Fatalf("err %v, want giving up after 8 attempts", err)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 30, 30}
	for i := range want {
		want[i] *= time.Second
	}
	if got := clock.Sleeps(); !reflect.DeepEqual(got, want) {
		t.Errorf("sleeps %v, want %v", got, want)
	}
	if n := len(fake.requests()); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}
}

// Errors no retry can help come back as *monitor.PermanentError with
// Slack's reason, after one request, so the caller stops retrying too.
func TestClientErrorsAreNotRetried(t *testing.T) {
	okFalse := func(code string) reply {
		return reply{status: 200, header: map[string]string{"Content-Type": "application/json"},
			body: `{"ok":false,"error":"` + code + `"}`}
	}
	cases := map[string]struct {
		cfg    func(*fakeSlack) config.Slack
		reply  reply
		reason string
	}{
		"webhook 400 invalid_blocks":  {webhookCfg, reply{status: 400, body: "invalid_blocks"}, "http_400"},
		"webhook 404 no_service":      {webhookCfg, reply{status: 404, body: "no_service"}, "http_404"},
		"bot ok=false invalid_blocks": {botCfg, okFalse("invalid_blocks"), "invalid_blocks"},
		"bot channel_not_found":       {botCfg, okFalse("channel_not_found"), "channel_not_found"},
		"bot not_in_channel":          {botCfg, okFalse("not_in_channel"), "not_in_channel"},
		"bot invalid_auth":            {botCfg, okFalse("invalid_auth"), "invalid_auth"},
		"bot token_revoked":           {botCfg, okFalse("token_revoked"), "token_revoked"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			fake := newFakeSlack(t, c.reply)
			clock := newFakeClock()
			s := newTestSlack(t, c.cfg(fake), clock, SlackOptions{})
			_, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{})
			if err == nil || !strings.Contains(err.Error(), "not retryable") {
				t.Fatalf("err %v, want a not-retryable error", err)
			}
			if reason, ok := monitor.Permanent(err); !ok || reason != c.reason {
				t.Errorf("Permanent(%v) = %q, %v; want %q, true", err, reason, ok, c.reason)
			}
			if n := len(fake.requests()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}
			if s := clock.Sleeps(); len(s) != 0 {
				t.Errorf("slept %v before giving up on a client error", s)
			}
		})
	}
}

// Giving up on errors a retry could help is not permanent: the caller
// may try again later.
func TestGivingUpIsNotPermanent(t *testing.T) {
	for _, status := range []int{500, 503} {
		fake := newFakeSlack(t, reply{status: status}, reply{status: status})
		s := newTestSlack(t, botCfg(fake), newFakeClock(), SlackOptions{MaxAttempts: 2})
		_, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{})
		if err == nil {
			t.Fatalf("%d: no error", status)
		}
		if reason, ok := monitor.Permanent(err); ok {
			t.Errorf("%d: permanent (%q); a 5xx may pass later", status, reason)
		}
	}
}

func TestTimeoutIsRetried(t *testing.T) {
	fake := newFakeSlack(t, reply{hangFor: 5 * time.Second})
	clock := newFakeClock()
	s := newTestSlack(t, webhookCfg(fake), clock, SlackOptions{HTTPClient: &http.Client{Timeout: 50 * time.Millisecond}})
	if _, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{}); err != nil {
		t.Fatal(err)
	}
	if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{time.Second}) {
		t.Errorf("sleeps %v, want [1s]", got)
	}
	if n := len(fake.requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
}

func TestCancelDuringRetryWaitReturnsPromptly(t *testing.T) {
	fake := newFakeSlack(t, reply{status: 429, header: map[string]string{"Retry-After": "30"}})
	// The real sleep: this test is about the timer honouring ctx.
	s := newTestSlack(t, webhookCfg(fake), nil, SlackOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := s.Notify(ctx, sampleFinding(), monitor.Receipt{})
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Notify took %v after cancel, want prompt return", elapsed)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err %v, want context.Canceled", err)
	}
	if n := len(fake.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestPacingIsPerChannel(t *testing.T) {
	fake := newFakeSlack(t)
	clock := newFakeClock()
	s := newTestSlack(t, botCfg(fake), clock, SlackOptions{})
	ctx := context.Background()
	for _, ch := range []string{"C1", "C2", "C1", "C1"} {
		f := sampleFinding()
		f.Route.Channel = ch
		if _, err := s.Notify(ctx, f, monitor.Receipt{}); err != nil {
			t.Fatal(err)
		}
	}
	// C2 does not wait for C1; the 2nd and 3rd C1 posts wait a second each.
	if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{time.Second, time.Second}) {
		t.Errorf("sleeps %v, want [1s 1s]", got)
	}
	if n := len(fake.requests()); n != 4 {
		t.Errorf("%d requests, want 4", n)
	}
}

func TestRetryAfterHoldsTheChannel(t *testing.T) {
	fake := newFakeSlack(t, reply{status: 429, header: map[string]string{"Retry-After": "5"}})
	clock := newFakeClock()
	s := newTestSlack(t, botCfg(fake), clock, SlackOptions{})
	ctx := context.Background()
	for range 2 {
		if _, err := s.Notify(ctx, sampleFinding(), monitor.Receipt{}); err != nil {
			t.Fatal(err)
		}
	}
	// 5s for the 429, then the second message waits its 1s slot after the retry.
	if got := clock.Sleeps(); !reflect.DeepEqual(got, []time.Duration{5 * time.Second, time.Second}) {
		t.Errorf("sleeps %v, want [5s 1s]", got)
	}
}

// refusedAddr is a loopback address nothing listens on.
func refusedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestSecretsNeverLeak(t *testing.T) {
	t.Run("webhook connection refused", func(t *testing.T) {
		hook := "http://" + refusedAddr(t) + webhookPath
		var logs logCapture
		s := newTestSlack(t, config.Slack{WebhookURL: config.Secret(hook)}, newFakeClock(), SlackOptions{Logger: logs.logger(), MaxAttempts: 3})
		_, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{})
		if err == nil || !strings.Contains(err.Error(), "giving up after 3 attempts") {
			t.Fatalf("err %v, want giving up after 3 attempts", err)
		}
		var ue *url.Error
		if !errors.As(err, &ue) || ue.URL != redacted {
			t.Errorf("url.Error in chain %+v, want one with a redacted URL", ue)
		}
		if !strings.Contains(logs.String(), "retrying") {
			t.Errorf("retries were not logged:\n%s", logs.String())
		}
		assertNoSecret(t, err, logs.String(), hook, webhookPath, "s3cr3tWebhookPathXYZ")
	})
	t.Run("webhook 404", func(t *testing.T) {
		fake := newFakeSlack(t, reply{status: 404, body: "no_service"})
		var logs logCapture
		s := newTestSlack(t, webhookCfg(fake), newFakeClock(), SlackOptions{Logger: logs.logger()})
		_, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{})
		if err == nil {
			t.Fatal("want an error")
		}
		assertNoSecret(t, err, logs.String(), fake.webhookURL(), webhookPath)
	})
	t.Run("job webhook connection refused", func(t *testing.T) {
		hook := "http://" + refusedAddr(t) + "/services/T000/B999/j0bW3bhookSECRET"
		fake := newFakeSlack(t)
		var logs logCapture
		s := newTestSlack(t, botCfg(fake), newFakeClock(), SlackOptions{Logger: logs.logger(), MaxAttempts: 2})
		f := sampleFinding()
		f.Route.WebhookURL = config.Secret(hook)
		_, err := s.Notify(context.Background(), f, monitor.Receipt{})
		if err == nil {
			t.Fatal("want an error")
		}
		if len(fake.requests()) != 0 {
			t.Errorf("a job with its own webhook was posted through the bot token")
		}
		assertNoSecret(t, err, logs.String(), hook, "/services/T000/B999/j0bW3bhookSECRET")
	})
	t.Run("bot token with server errors", func(t *testing.T) {
		fake := newFakeSlack(t, reply{status: 500}, reply{status: 500})
		var logs logCapture
		s := newTestSlack(t, botCfg(fake), newFakeClock(), SlackOptions{Logger: logs.logger(), MaxAttempts: 2})
		_, err := s.Notify(context.Background(), sampleFinding(), monitor.Receipt{})
		if err == nil {
			t.Fatal("want an error")
		}
		assertNoSecret(t, err, logs.String(), testToken)
	})
}

func TestRedactorScrubsURLErrors(t *testing.T) {
	hook := "https://hooks.slack.com/services/T1/B2/abcdefSECRET"
	r := newRedactor(hook, testToken)
	in := &url.Error{Op: "Post", URL: hook, Err: errors.New("dial tcp: connection refused")}
	out := r.redactError(errors.Join(errors.New("failed to post webhook"), in))
	if strings.Contains(out.Error(), "abcdefSECRET") || !strings.Contains(out.Error(), "connection refused") {
		t.Errorf("redacted error %q: secret present or cause lost", out)
	}
	if got := r.scrub("token " + testToken + " path /services/T1/B2/abcdefSECRET"); strings.Contains(got, "SECRET") || strings.Contains(got, "s3cr3t") {
		t.Errorf("scrub left a secret: %q", got)
	}
}

// TestNoMentionInjection sends a finding full of mention syntax taken from
// "AWS" through both transports and checks that no string in the payload
// Slack receives contains an unescaped "<!" or "<@".
func TestNoMentionInjection(t *testing.T) {
	f := failedFinding(monitor.CauseExit, intp(1), "<!everyone>", "<@U123> broke it & left", "see <!here|here>")
	f.Job = "<!channel>"
	f.Cluster = "prod<@U999>"
	f.Message = "ping <!channel> now"
	f.Tasks = []string{"arn:aws:ecs:r:1:task/c/<!channel>"}
	f.EventID = "<@W42>"

	for name, cfg := range map[string]func(*fakeSlack) config.Slack{"webhook": webhookCfg, "bot": botCfg} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeSlack(t)
			s := newTestSlack(t, cfg(fake), newFakeClock(), SlackOptions{})
			if _, err := s.Notify(context.Background(), f, monitor.Receipt{}); err != nil {
				t.Fatal(err)
			}
			if err := s.Summarize(context.Background(), monitor.Summary{Clusters: []monitor.ClusterSummary{{
				Cluster: f.Cluster, Notes: []string{"<!here>"},
				Jobs:   []monitor.JobSummary{{Job: f.Job, Failures: 1, Duplicates: 1, Tasks: f.Tasks}},
				Errors: []monitor.ErrorSummary{{Message: "<@U1>"}},
			}}}); err != nil {
				t.Fatal(err)
			}
			reqs := fake.requests()
			if len(reqs) != 2 {
				t.Fatalf("%d requests, want 2", len(reqs))
			}
			for _, r := range reqs {
				var strs []string
				if r.Form != nil {
					for _, vs := range r.Form {
						for _, v := range vs {
							strs = append(strs, jsonStrings(v)...)
						}
					}
				} else {
					strs = jsonStrings(string(r.Body))
				}
				if len(strs) < 10 {
					t.Fatalf("only %d strings found in %s payload; the check would prove nothing", len(strs), r.Path)
				}
				for _, s := range strs {
					if strings.Contains(s, "<!") || strings.Contains(s, "<@") {
						t.Errorf("%s payload contains an unescaped mention: %q", r.Path, s)
					}
				}
			}
		})
	}
}

// jsonStrings returns every string inside v if v is JSON, else v itself.
func jsonStrings(v string) []string {
	var doc any
	if err := json.Unmarshal([]byte(v), &doc); err != nil {
		return []string{v}
	}
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				out = append(out, k)
				walk(e)
			}
		}
	}
	walk(doc)
	return out
}

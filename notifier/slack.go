// Package notifier delivers monitor findings and summaries: to Slack
// (incoming webhook or bot token, Block Kit, retries and pacing), to a
// terminal for the demo, and metrics to DogStatsD. It knows nothing of ECS
// beyond the plain values monitor hands it.
package notifier

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/config"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Defaults of SlackOptions.
const (
	defaultHTTPTimeout = 10 * time.Second
	slackIdleConns     = 16          // idle connections kept to Slack
	defaultMinInterval = time.Second // Slack: ~1 message per second per channel
	defaultMaxAttempts = 6
	webhookPaceKey     = "\x00webhook" // cannot collide with a channel id
)

// SlackOptions are the optional collaborators of a Slack notifier; zero
// values take defaults.
type SlackOptions struct {
	// HTTPClient defaults to a client with a 10 s timeout: a hung Slack
	// must not hang the daemon.
	HTTPClient *http.Client
	Logger     *slog.Logger
	// Sleep waits d or until ctx ends; tests inject a recorder.
	Sleep func(ctx context.Context, d time.Duration) error
	// MinInterval paces posts per channel (default 1 s); negative disables.
	MinInterval time.Duration
	// MaxAttempts bounds tries per message, the first included (default 6).
	MaxAttempts int
	Now         func() time.Time
	// Zone is the zone of the times in messages (nil: UTC); the daemon
	// passes summary.schedule's CRON_TZ.
	Zone *time.Location
}

// Slack posts findings and summaries to Slack. It implements
// monitor.Notifier. Safe for concurrent use.
type Slack struct {
	webhookURL string        // revealed; never logged (see redactor)
	api        *slack.Client // nil for the webhook transport
	channel    string
	style      Style

	httpClient  *http.Client
	log         *slog.Logger
	sleep       func(context.Context, time.Duration) error
	now         func() time.Time
	minInterval time.Duration
	maxAttempts int
	redact      redactor

	mu    sync.Mutex
	paces map[string]*channelPace // per channel key
}

var _ monitor.Notifier = (*Slack)(nil)

// NewSlack builds a Slack notifier for exactly one of the two transports
// in cfg: the bot token (which can edit messages) or the incoming webhook.
func NewSlack(cfg config.Slack, opts SlackOptions) (*Slack, error) {
	webhook, token := cfg.WebhookURL.Reveal(), cfg.Token.Reveal()
	switch {
	case webhook == "" && token == "":
		return nil, errors.New("create slack notifier: neither webhook_url nor token is set")
	case webhook != "" && token != "":
		return nil, errors.New("create slack notifier: set webhook_url or token, not both")
	case token != "" && cfg.Channel == "":
		return nil, errors.New("create slack notifier: token is set but channel is empty")
	}
	s := &Slack{
		webhookURL:  webhook,
		channel:     cfg.Channel,
		style:       Style{ConsoleURL: cfg.ConsoleURL, Zone: opts.Zone},
		httpClient:  opts.HTTPClient,
		log:         opts.Logger,
		sleep:       opts.Sleep,
		now:         opts.Now,
		minInterval: opts.MinInterval,
		maxAttempts: opts.MaxAttempts,
		redact:      newRedactor(webhook, token),
		paces:       make(map[string]*channelPace),
	}
	if s.httpClient == nil {
		// More idle connections than net/http's 2 per host: alerts to
		// several channels (and roll-ups) are delivered concurrently, and
		// each connection closed for want of room is a new TLS handshake.
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.MaxIdleConnsPerHost = slackIdleConns
		s.httpClient = &http.Client{Timeout: defaultHTTPTimeout, Transport: t}
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.log = s.log.With("component", "slack")
	if s.sleep == nil {
		s.sleep = sleepCtx
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.minInterval == 0 {
		s.minInterval = defaultMinInterval
	}
	if s.maxAttempts <= 0 {
		s.maxAttempts = defaultMaxAttempts
	}
	if token != "" {
		apiURL := cfg.APIURL
		if apiURL == "" {
			apiURL = slack.APIURL
		}
		// slack-go appends method names directly to the base.
		if !strings.HasSuffix(apiURL, "/") {
			apiURL += "/"
		}
		s.api = slack.New(token, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(s.httpClient))
	}
	return s, nil
}

// message is one rendered Slack message, transport-neutral.
type message struct {
	text       string // top-level text: mention, then the escaped fallback
	attachment slack.Attachment
}

// buildMessage places the blocks inside a coloured attachment (a bare
// block message cannot show a colour bar) and puts the mention, which
// config validated as a real mention, unescaped in front of the text.
func buildMessage(fallback string, blocks []slack.Block, color, mention string) message {
	text := fallback
	if mention != "" {
		text = mention + " " + fallback
	}
	return message{
		text: text,
		attachment: slack.Attachment{
			Color:    color,
			Fallback: fallback,
			Blocks:   slack.Blocks{BlockSet: blocks},
		},
	}
}

// webhookMessage is the JSON body posted to an incoming webhook. Golden
// files use it too, so they show exactly what goes on the wire.
func (m message) webhookMessage() *slack.WebhookMessage {
	f := false
	return &slack.WebhookMessage{
		Text:        m.text,
		Attachments: []slack.Attachment{m.attachment},
		Parse:       "none",
		UnfurlLinks: &f,
		UnfurlMedia: &f,
	}
}

// msgOptions are the chat.postMessage / chat.update options. parse=none is
// explicit because chat.update defaults to parse=client; link_names is
// never set, so "@channel" in text stays text.
func (m message) msgOptions() []slack.MsgOption {
	return []slack.MsgOption{
		slack.MsgOptionText(m.text, false),
		slack.MsgOptionAttachments(m.attachment),
		slack.MsgOptionParse(false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
}

// Notify posts one finding, or edits the message of update when the bot
// transport is in use. Webhooks cannot edit: they post anew and return a
// zero Receipt.
func (s *Slack) Notify(ctx context.Context, f monitor.Finding, update monitor.Receipt) (monitor.Receipt, error) {
	fallback, blocks, color := AlertBlocks(f, s.style)
	m := buildMessage(fallback, blocks, color, mention(f))
	rcpt, err := s.send(ctx, m, s.targetFor(f.Route), update)
	if err != nil {
		return monitor.Receipt{}, fmt.Errorf("notify %s %s (cluster %q, job %q): %w", f.Kind, f.Transition, f.Cluster, f.Job, err)
	}
	return rcpt, nil
}

// Summarize posts a summary window to the default channel.
func (s *Slack) Summarize(ctx context.Context, sum monitor.Summary) error {
	fallback, blocks, color := SummaryBlocks(sum, s.style)
	if _, err := s.send(ctx, buildMessage(fallback, blocks, color, ""), s.targetFor(monitor.Route{}), monitor.Receipt{}); err != nil {
		return fmt.Errorf("post summary %s: %w", s.style.time(sum.To), err)
	}
	return nil
}

// target is where one message goes: a channel, through the bot token, or
// an incoming webhook (the global one or a job's own).
type target struct {
	channel string
	webhook string // revealed; never logged (see redactor)
}

// targetFor resolves a route: a job's own webhook first, then the global
// transport (the job's channel, or the default one, with a bot token).
func (s *Slack) targetFor(r monitor.Route) target {
	if u := r.WebhookURL.Reveal(); u != "" {
		return target{webhook: u}
	}
	if s.api == nil {
		return target{webhook: s.webhookURL}
	}
	if r.Channel != "" {
		return target{channel: r.Channel}
	}
	return target{channel: s.channel}
}

// send delivers m to its target.
func (s *Slack) send(ctx context.Context, m message, to target, update monitor.Receipt) (monitor.Receipt, error) {
	if to.webhook != "" {
		wm := m.webhookMessage()
		// Each webhook is a channel of its own, paced on its own; a job's
		// webhook is a secret the global redactor does not know.
		key, redact := webhookPaceKey, s.redact
		if to.webhook != s.webhookURL {
			key, redact = webhookPaceKey+to.webhook, s.redact.with(to.webhook)
		}
		err := s.deliver(ctx, key, "post slack webhook", redact, func(ctx context.Context) error {
			return slack.PostWebhookCustomHTTPContext(ctx, to.webhook, s.httpClient, wm)
		})
		return monitor.Receipt{}, err
	}
	channel := to.channel
	if update != (monitor.Receipt{}) {
		rcpt, err := s.update(ctx, m, update)
		if err == nil || !editImpossible(err) {
			return rcpt, err
		}
		// The old message is gone or too old to edit; a new message keeps
		// the alert from being lost.
		s.log.Info("slack message cannot be edited, posting a new one", "channel", update.Channel, "err", err)
	}
	var rcpt monitor.Receipt
	err := s.deliver(ctx, channel, "post slack message", s.redact, func(ctx context.Context) error {
		ch, ts, err := s.api.PostMessageContext(ctx, channel, m.msgOptions()...)
		rcpt = monitor.Receipt{Channel: ch, TS: ts}
		return err
	})
	if err != nil {
		return monitor.Receipt{}, err
	}
	return rcpt, nil
}

// update edits an earlier message in place.
func (s *Slack) update(ctx context.Context, m message, old monitor.Receipt) (monitor.Receipt, error) {
	var rcpt monitor.Receipt
	err := s.deliver(ctx, old.Channel, "update slack message", s.redact, func(ctx context.Context) error {
		ch, ts, _, err := s.api.UpdateMessageContext(ctx, old.Channel, old.TS, m.msgOptions()...)
		rcpt = monitor.Receipt{Channel: ch, TS: ts}
		return err
	})
	if err != nil {
		return monitor.Receipt{}, err
	}
	if rcpt.Channel == "" {
		rcpt.Channel = old.Channel
	}
	if rcpt.TS == "" {
		rcpt.TS = old.TS
	}
	return rcpt, nil
}

// editImpossible reports chat.update errors after which posting a new
// message is the only way to deliver.
func editImpossible(err error) bool {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return false
	}
	switch se.Err {
	case "message_not_found", "cant_update_message", "edit_window_closed", "channel_not_found":
		return true
	}
	return false
}

package notifier

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"time"

	"github.com/slack-go/slack"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// Backoff bounds for 5xx and transport errors.
const (
	backoffFirst = time.Second
	backoffCap   = 30 * time.Second
)

// retryable classifies a delivery error. wait is the server's demand
// (Retry-After) when it gave one, else zero and the caller backs off.
//
// Slack's 429 carries Retry-After, which slack-go turns into
// *RateLimitedError. 5xx arrive as StatusCodeError; Web API methods report
// most problems as HTTP 200 with ok=false (SlackErrorResponse), of which
// only the server-side ones are worth repeating. Any other 4xx (webhooks
// answer 400 invalid_blocks, 403, 404 no_service) will fail the same way
// again.
func retryable(err error) (retry bool, wait time.Duration) {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return true, rl.RetryAfter
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) {
		return sc.Code >= 500 || sc.Code == 429, 0
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return true, 0
		}
		return false, 0
	}
	// Transport failures: refused or reset connections, timeouts of our
	// HTTP client. The request may or may not have reached Slack; a second
	// post is preferable to a lost alert.
	var ue *url.Error
	var ne net.Error
	if errors.As(err, &ue) || errors.As(err, &ne) {
		return true, 0
	}
	return false, 0
}

// refusal names Slack's answer when it refused a request for good: the
// Web API's error code (channel_not_found, not_in_channel, invalid_auth,
// invalid_blocks...), or the HTTP status of a webhook's 4xx (slack-go does
// not keep a webhook's response body). Any other error is not known to be
// permanent, so it is not reported as such.
func refusal(err error) (reason string, ok bool) {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && se.Err != "" {
		return se.Err, true
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 {
		return fmt.Sprintf("http_%d", sc.Code), true
	}
	return "", false
}

// deliver runs send until it succeeds, fails for good, runs out of
// attempts or ctx ends. It paces posts per channel key first, so bursts
// stay under Slack's one message per second per channel. Errors pass
// through redact before they are logged or returned.
func (s *Slack) deliver(ctx context.Context, key, action string, redact redactor, send func(context.Context) error) error {
	if err := s.pace(ctx, key); err != nil {
		return fmt.Errorf("%s: waiting for the channel's rate limit: %w", action, err)
	}
	backoff := backoffFirst
	var last error
	for attempt := 1; ; attempt++ {
		err := send(ctx)
		if err == nil {
			if attempt > 1 {
				s.log.Info("slack delivery succeeded after retries", "action", action, "attempts", attempt)
			}
			return nil
		}
		err = redact.redactError(err)
		if ctx.Err() != nil {
			// The caller gave up (shutdown); that is not Slack's failure.
			return fmt.Errorf("%s: %w (last error: %w)", action, ctx.Err(), err)
		}
		retry, wait := retryable(err)
		if !retry {
			err = fmt.Errorf("%s: not retryable: %w", action, err)
			if reason, ok := refusal(err); ok {
				// Slack said no for good: the caller must not try again.
				return &monitor.PermanentError{Reason: reason, Err: err}
			}
			return err
		}
		if attempt >= s.maxAttempts {
			return fmt.Errorf("%s: giving up after %d attempts: %w", action, attempt, err)
		}
		if wait > 0 {
			// Everyone posting to this channel must wait, not just us.
			s.holdChannel(key, wait)
		} else {
			wait = backoff
			backoff = min(backoff*2, backoffCap)
		}
		// Log a repeating failure once per change of cause, not per attempt.
		level := s.log.Warn
		if last != nil && last.Error() == err.Error() {
			level = s.log.Debug
		}
		level("slack delivery failed, retrying", "action", action, "attempt", attempt, "wait", wait, "err", err)
		last = err
		if serr := s.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%s: interrupted while waiting to retry: %w (last error: %w)", action, serr, err)
		}
	}
}

// channelPace serialises the posts of one channel: sem admits one sender
// at a time to wait for next, the earliest time of the next post.
type channelPace struct {
	sem  chan struct{}
	next time.Time
}

func (s *Slack) paceFor(key string) *channelPace {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.paces[key]
	if p == nil {
		p = &channelPace{sem: make(chan struct{}, 1)}
		s.paces[key] = p
	}
	return p
}

// pace waits for the channel's next send slot. Senders queue on the
// channel's semaphore rather than reserving slots ahead, so a sender that
// gives up (its context ends, say at shutdown) leaves no hole that later
// senders would still have to wait out.
func (s *Slack) pace(ctx context.Context, key string) error {
	if s.minInterval <= 0 {
		return nil
	}
	p := s.paceFor(key)
	select {
	case p.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-p.sem }()
	s.mu.Lock()
	wait := p.next.Sub(s.now())
	s.mu.Unlock()
	if wait > 0 {
		if err := s.sleep(ctx, wait); err != nil {
			return err
		}
	}
	s.mu.Lock()
	p.next = s.now().Add(s.minInterval)
	s.mu.Unlock()
	return nil
}

// holdChannel pushes a channel's next slot past a Retry-After demand and
// the retry that will use it.
func (s *Slack) holdChannel(key string, d time.Duration) {
	p := s.paceFor(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if until := s.now().Add(d + s.minInterval); until.After(p.next) {
		p.next = until
	}
}

// sleepCtx waits d or until ctx ends, whichever is first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

package notifier

import (
	"errors"
	"net/url"
	"slices"
	"strings"
)

// redactor removes the Slack secrets (webhook URL, bot token) from errors
// before they are returned or logged. slack-go's webhook errors wrap a
// *url.Error whose message embeds the full webhook URL, and the URL path is
// the secret, so the URL is replaced structurally and then, as a safety
// net, any remaining occurrence of a secret is replaced in the text.
type redactor struct {
	secrets []string
}

const redacted = "[redacted]"

// newRedactor collects the secret strings worth hiding: the whole webhook
// URL, its path and query (the secret part of a hooks.slack.com URL) and
// the token.
func newRedactor(webhookURL, token string) redactor {
	var r redactor
	add := func(s string) {
		// Very short strings ("/") would redact ordinary text; they are not
		// secrets on their own.
		if len(s) >= 8 {
			r.secrets = append(r.secrets, s)
		}
	}
	add(webhookURL)
	if u, err := url.Parse(webhookURL); err == nil && webhookURL != "" {
		add(u.Path)
		add(u.RawQuery)
		add(u.EscapedPath())
	}
	add(token)
	return r
}

// with returns a redactor that also hides another webhook URL (a job's
// own), leaving r unchanged.
func (r redactor) with(webhookURL string) redactor {
	return redactor{secrets: append(slices.Clone(r.secrets), newRedactor(webhookURL, "").secrets...)}
}

// scrub replaces every secret in s.
func (r redactor) scrub(s string) string {
	for _, sec := range r.secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, redacted)
		}
	}
	return s
}

// redactError returns an error safe to log or return. It keeps the chain
// useful to errors.Is/As (context errors, slack.RateLimitedError,
// net.Error) while rebuilding any *url.Error without its URL.
func (r redactor) redactError(err error) error {
	if err == nil {
		return nil
	}
	inner := err
	var ue *url.Error
	if errors.As(err, &ue) {
		// The url.Error's own cause (dial error, timeout) names only the
		// host:port, never the path.
		inner = &url.Error{Op: ue.Op, URL: redacted, Err: ue.Err}
	}
	return &scrubbedError{msg: r.scrub(err.Error()), err: inner}
}

// scrubbedError carries a secret-free message; Unwrap exposes a chain with
// the URL already removed, so walking it cannot leak the webhook either.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

package notifier

import (
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/monitor"
)

// This file turns one Finding into Block Kit. Everything here is a pure
// function of its arguments so golden files can pin the exact output.
//
// Every string that came from AWS or configuration passes through
// escapeMrkdwn, including plain_text objects: Slack decodes the three
// entities there too, and one uniform rule is easier to audit than a
// per-field one.

// field is one label/value pair of a section's fields; value is mrkdwn
// already escaped.
type field struct{ name, value string }

// AlertBlocks renders one finding. It returns the notification fallback
// text (mrkdwn, escaped), the blocks to place inside a coloured attachment,
// and the attachment colour.
func AlertBlocks(f monitor.Finding, st Style) (fallbackText string, blocks []slack.Block, color string) {
	head := emoji(f) + " " + escapeMrkdwn(headline(f))
	blocks = append(blocks, headerBlock(head))

	if f.Rollup != nil {
		txt := "*" + escapeMrkdwn(rollupLine(f, st)) + "*\n_" + rollupState(f.Rollup, st) + "_"
		blocks = append(blocks, mrkdwnSection(txt))
	} else if f.Message != "" {
		blocks = append(blocks, mrkdwnSection(escapeMrkdwn(f.Message)))
	}

	blocks = append(blocks, fieldsSection(alertFields(f, st)))

	if f.Failure != nil && f.Rollup == nil {
		if txt := failureText(f.Failure); txt != "" {
			blocks = append(blocks, mrkdwnSection(txt))
		}
	}
	if tl := st.taskLinks(f.Region, f.Cluster, f.Tasks, maxTaskLinks); tl != "" {
		blocks = append(blocks, mrkdwnSection("*"+tasksLabel(f)+":* "+tl))
	}
	blocks = append(blocks, contextBlock(alertContext(f, st)...))

	return truncate(escapeMrkdwn(fallback(f, st)), maxFallbackText), capBlocks(blocks), severityColor(f)
}

// fallback is the unescaped notification text: the headline, then what
// happened. Messages name no subject, so the job or cluster appears once.
func fallback(f monitor.Finding, st Style) string {
	switch {
	case f.Rollup != nil:
		return headline(f) + ": " + rollupLine(f, st)
	case f.Message != "":
		return headline(f) + ": " + f.Message
	}
	return headline(f)
}

// tasksLabel names the task list: a roll-up links the latest failure only.
func tasksLabel(f monitor.Finding) string {
	switch {
	case f.Rollup != nil:
		return "Latest task"
	case len(f.Tasks) == 1:
		return "Task"
	}
	return "Tasks"
}

// alertFields picks the facts worth a glance for each kind; a field that
// would only repeat another one, or say nothing (a count of 1 on a missed
// run), is left out.
func alertFields(f monitor.Finding, st Style) []field {
	if f.Kind == monitor.KindFargateQuota {
		return quotaFields(f, st)
	}
	var fs []field
	if f.Cluster != "" { // an account-wide check (the Fargate quota's monitor_error) has none
		fs = append(fs, field{"Cluster", escapeMrkdwn(f.Cluster)})
	}
	if a := f.InAccount(); !a.IsZero() {
		fs = append(fs, field{"Account", escapeMrkdwn(a.String())})
	}
	if f.Region != "" {
		fs = append(fs, field{"Region", escapeMrkdwn(f.Region)})
	}
	if f.Job != "" {
		fs = append(fs, field{"Job", escapeMrkdwn(f.Job)})
	}
	since := !f.Since.IsZero()
	switch f.Kind {
	case monitor.KindTaskLimit:
		fs = append(fs, field{"Tasks", valueOfLimit(f.Value, f.Limit)})
		if f.Peak > f.Value {
			fs = append(fs, field{"Peak", valueOfLimit(f.Peak, f.Limit)})
		}
		if len(f.Counts) > 0 {
			fs = append(fs, field{"By status", escapeMrkdwn(formatCounts(f.Counts))})
		}
	case monitor.KindDuplicateRun:
		if f.Transition != monitor.Resolved {
			fs = append(fs, field{"Copies running", strconv.Itoa(f.Value) + " (max " + strconv.Itoa(f.Limit) + ")"})
		}
		if f.Peak > f.Value {
			fs = append(fs, field{"Peak copies", strconv.Itoa(f.Peak)})
		}
	case monitor.KindFailedTask:
		since = false // the Stopped field says it
		if f.Rollup != nil {
			fs = append(fs, field{"Failures", strconv.Itoa(f.Rollup.Count)})
			if len(f.Rollup.ExitCodes) > 0 {
				fs = append(fs, field{"Exit codes", formatExitCodes(f.Rollup.ExitCodes)})
			}
			break
		}
		if fl := f.Failure; fl != nil {
			fs = append(fs, failureFields(fl, st)...)
		}
	case monitor.KindLaunchFailed:
		since = false // the launch time is the finding's At, give or take delivery
		if f.Rollup != nil {
			fs = append(fs, field{"Launch failures", strconv.Itoa(f.Rollup.Count)})
			break
		}
		if fl := f.Failure; fl != nil {
			fs = append(fs, launchFields(fl)...)
		}
	case monitor.KindMissedRun:
		since = false // opened is only when the grace ran out; Due says when
		fs = append(fs, field{"Due", st.time(f.Due)})
	case monitor.KindOverrun:
		if f.Transition != monitor.Resolved {
			fs = append(fs, field{"Overrunning", monitor.Plural(f.Value, "task")})
		}
		if f.Limit > 0 {
			fs = append(fs, field{"Max duration", formatDuration(time.Duration(f.Limit) * time.Minute)})
		}
		if !f.Due.IsZero() {
			fs = append(fs, field{"Next run due", st.time(f.Due)})
		}
	}
	if since && !f.Since.Equal(f.At) { // an incident just opened: At says it
		fs = append(fs, field{"Since", st.time(f.Since)})
		if f.Transition == monitor.Resolved {
			// The resolution may edit the alert, or follow it up (webhook)
			// long after: it says how long the incident lasted.
			fs = append(fs, field{"Lasted", formatDuration(f.At.Sub(f.Since))})
		}
	}
	return fs
}

// failureFields are the short facts of one failed run. The cause is named
// only when the exit code does not already say it.
func failureFields(fl *monitor.Failure, st Style) []field {
	var fs []field
	if fl.Cause != monitor.CauseExit || fl.ExitCode == nil {
		fs = append(fs, field{"Cause", escapeMrkdwn(causeText(fl))})
	}
	if fl.Container != "" {
		fs = append(fs, field{"Container", escapeMrkdwn(fl.Container)})
	}
	if fl.ExitCode != nil {
		fs = append(fs, field{"Exit code", strconv.Itoa(*fl.ExitCode)})
	}
	if fl.StartedBy != "" {
		fs = append(fs, field{"Started by", escapeMrkdwn(fl.StartedBy)})
	}
	if !fl.StartedAt.IsZero() {
		fs = append(fs, field{"Started", st.time(fl.StartedAt)})
	}
	if !fl.StoppedAt.IsZero() {
		fs = append(fs, field{"Stopped", st.time(fl.StoppedAt)})
	}
	if d := fl.Duration(); d > 0 {
		fs = append(fs, field{"Duration", formatDuration(d)})
	}
	return fs
}

// quotaFields are the facts of a fargate_quota finding: account, region,
// class and use against the quota.
func quotaFields(f monitor.Finding, st Style) []field {
	fs := []field{{"Account", escapeMrkdwn(f.InAccount().String())}, {"Region", escapeMrkdwn(f.Region)},
		{"Class", escapeMrkdwn(f.Class)}}
	if f.Transition != monitor.Resolved {
		fs = append(fs, field{"vCPU in use", valueOfLimit(f.Value, f.Limit)})
	}
	if f.Peak > f.Value {
		fs = append(fs, field{"Peak", valueOfLimit(f.Peak, f.Limit)})
	}
	if !f.Since.IsZero() && !f.Since.Equal(f.At) {
		fs = append(fs, field{"Since", st.time(f.Since)})
	}
	return fs
}

// launchFields are the facts of one refused launch: its cause, AWS's
// error code, where it was learnt. AWS's text goes in failureText.
func launchFields(fl *monitor.Failure) []field {
	fs := []field{{"Cause", escapeMrkdwn(causeText(fl))}}
	if fl.ErrorCode != "" {
		fs = append(fs, field{"Error code", escapeMrkdwn(fl.ErrorCode)})
	}
	if fl.Source != "" {
		fs = append(fs, field{"Source", escapeMrkdwn(fl.Source)})
	}
	if fl.StartedBy != "" {
		fs = append(fs, field{"Started by", escapeMrkdwn(fl.StartedBy)})
	}
	return fs
}

// failureText holds the long, free-form parts of a failure, which do not
// fit in fields: the container reason, the task's stopped reason, logs.
func failureText(fl *monitor.Failure) string {
	var lines []string
	if fl.Reason != "" {
		r := escapeMrkdwn(fl.Reason)
		if fl.StoppedReason == fl.Reason && fl.StopCode != "" {
			r += " (" + escapeMrkdwn(fl.StopCode) + ")" // ECS often repeats a start error as the task's reason
		}
		lines = append(lines, "*Reason:* "+r)
	}
	if fl.StoppedReason != "" && fl.StoppedReason != fl.Reason {
		sr := escapeMrkdwn(fl.StoppedReason)
		if fl.StopCode != "" {
			sr += " (" + escapeMrkdwn(fl.StopCode) + ")"
		}
		lines = append(lines, "*Stopped reason:* "+sr)
	}
	if fl.LogURL != "" && fl.Cause != monitor.CauseNeverStarted {
		lines = append(lines, link(fl.LogURL, "CloudWatch logs"))
	}
	return joinLimited(lines, "\n", maxSectionText)
}

// alertContext is the small print: when, and which event.
func alertContext(f monitor.Finding, st Style) []string {
	items := []string{"At " + st.time(f.At)}
	if f.Failure != nil && f.EventID != "" {
		items = append(items, "Event "+escapeMrkdwn(f.EventID))
	}
	if f.Kind != "" {
		items = append(items, escapeMrkdwn(string(f.Kind)))
	}
	return items
}

// headerBlock builds a header, within Slack's 150-character limit.
func headerBlock(text string) slack.Block {
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, truncate(text, maxHeaderText), true, false))
}

// mrkdwnSection is one section of escaped mrkdwn text.
func mrkdwnSection(text string) slack.Block {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, truncate(text, maxSectionText), false, false), nil, nil)
}

// fieldsSection lays out up to ten label/value fields; extra fields are
// folded into the last one so nothing is silently dropped.
func fieldsSection(fs []field) slack.Block {
	if len(fs) > maxFields {
		rest := make([]string, 0, len(fs)-maxFields+1)
		for _, f := range fs[maxFields-1:] {
			rest = append(rest, f.name+": "+f.value)
		}
		fs = append(fs[:maxFields-1:maxFields-1], field{"More", strings.Join(rest, "\n")})
	}
	objs := make([]*slack.TextBlockObject, 0, len(fs))
	for _, f := range fs {
		objs = append(objs, slack.NewTextBlockObject(slack.MarkdownType, truncate("*"+f.name+"*\n"+f.value, maxFieldText), false, false))
	}
	return slack.NewSectionBlock(nil, objs, nil)
}

// contextBlock shows small mrkdwn items, at most ten as Slack allows.
func contextBlock(items ...string) slack.Block {
	if len(items) > maxContextItems {
		items = items[:maxContextItems]
	}
	els := make([]slack.MixedElement, 0, len(items))
	for _, it := range items {
		els = append(els, slack.NewTextBlockObject(slack.MarkdownType, truncate(it, maxFieldText), false, false))
	}
	return slack.NewContextBlock("", els...)
}

// capBlocks keeps a message within Slack's 50 blocks, replacing the tail
// with a note of how much was left out.
func capBlocks(blocks []slack.Block) []slack.Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	omitted := len(blocks) - (maxBlocks - 1)
	out := append(blocks[:maxBlocks-1:maxBlocks-1], contextBlock("+"+strconv.Itoa(omitted)+" more blocks omitted (Slack allows 50 per message)"))
	return out
}

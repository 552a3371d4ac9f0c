package monitor

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// scanEvent is ParseEvent's fast path: one pass over the body that
// validates all of it as JSON (as encoding/json does before decoding), reads
// only the envelope, detail and container fields TaskEvent keeps, and skips
// the rest without building anything. The profile of the encoding/json path
// (decodeEvent) was three full validations and decodes of a ~3.5 kB body
// (SNS probe, envelope, detail) and ~50 allocations.
//
// It returns ok=false for anything it does not take on itself: invalid or
// unusual JSON (escaped or non-ASCII keys, a known field given twice or with
// another type, a null container), a non-ECS event, a missing ARN. The
// caller then runs decodeEvent, whose answer (the event or the exact error)
// is authoritative; so the fast path only ever has to agree with it on
// events it accepts, which FuzzScanEventMatchesDecode checks.
func scanEvent(body string) (TaskEvent, bool) {
	p := jsonScan{s: body}
	var env scannedEnvelope
	p.ws()
	if !p.envelope(&env, true) || !p.end() {
		return TaskEvent{}, false
	}
	if env.snsType == "Notification" && env.snsMessage != "" {
		inner := jsonScan{s: env.snsMessage}
		env = scannedEnvelope{}
		inner.ws()
		if !inner.envelope(&env, false) || !inner.end() {
			return TaskEvent{}, false
		}
	}
	if env.source != eventSource || env.detailType != eventDetailType || !env.hasDetail ||
		env.task.ARN == "" || env.task.ClusterARN == "" {
		return TaskEvent{}, false
	}
	ev := TaskEvent{ID: env.id, Time: env.at.Time, Region: env.region, Account: env.account, Task: env.task}
	compactStrings(&ev)
	ev.ClusterARN = ev.Task.ClusterARN
	if ev.Region == "" {
		ev.Region = arnRegion(ev.Task.ClusterARN)
	}
	return ev, true
}

// scannedEnvelope is what scanEvent reads from one JSON document.
type scannedEnvelope struct {
	snsType, snsMessage                     string
	id, detailType, source, account, region string
	at                                      eventTime
	hasDetail                               bool
	task                                    Task
}

// compactStrings copies every string the event keeps into one allocation,
// so a task held in State keeps a few hundred bytes alive, not the message
// body its fields were sliced from.
func compactStrings(ev *TaskEvent) {
	t := &ev.Task
	fields := [...]*string{&ev.ID, &ev.Region, &ev.Account, &t.ARN, &t.ClusterARN, &t.TaskDefinitionARN,
		&t.Group, &t.StartedBy, &t.LastStatus, &t.DesiredStatus, &t.LaunchType, &t.StopCode, &t.StoppedReason}
	n := 0
	for _, f := range fields {
		n += len(*f)
	}
	for i := range t.Containers {
		c := &t.Containers[i]
		n += len(c.Name) + len(c.Image) + len(c.LastStatus) + len(c.Reason)
	}
	var b strings.Builder
	b.Grow(n)
	for _, f := range fields {
		b.WriteString(*f)
	}
	for i := range t.Containers {
		c := &t.Containers[i]
		b.WriteString(c.Name)
		b.WriteString(c.Image)
		b.WriteString(c.LastStatus)
		b.WriteString(c.Reason)
	}
	all, off := b.String(), 0
	take := func(s *string) {
		*s, off = all[off:off+len(*s)], off+len(*s)
	}
	for _, f := range fields {
		take(f)
	}
	for i := range t.Containers {
		c := &t.Containers[i]
		take(&c.Name)
		take(&c.Image)
		take(&c.LastStatus)
		take(&c.Reason)
	}
}

// maxJSONDepth is encoding/json's nesting limit.
const maxJSONDepth = 10000

// jsonScan is a position in a JSON text. Every method returns false on
// anything it does not accept; the text is then left to encoding/json.
type jsonScan struct {
	s     string
	i     int
	depth int
}

func (p *jsonScan) ws() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// end reports whether only white space is left.
func (p *jsonScan) end() bool {
	p.ws()
	return p.i == len(p.s)
}

func (p *jsonScan) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

// str reads a string token; raw is its text between the quotes, plain
// says it has no escapes and only ASCII (raw is then its value).
func (p *jsonScan) str() (raw string, plain, ok bool) {
	if p.peek() != '"' {
		return "", false, false
	}
	plain = true
	for i := p.i + 1; i < len(p.s); {
		c := p.s[i]
		switch {
		case c == '"':
			raw, p.i = p.s[p.i+1:i], i+1
			return raw, plain, true
		case c == '\\':
			plain = false
			if i+1 >= len(p.s) {
				return "", false, false
			}
			switch p.s[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(p.s) || !isHex4(p.s[i+2:i+6]) {
					return "", false, false
				}
				i += 6
			default:
				return "", false, false
			}
		case c < 0x20:
			return "", false, false
		case c >= utf8.RuneSelf:
			plain = false
			i++
		default:
			i++
		}
	}
	return "", false, false
}

func isHex4(s string) bool {
	for i := 0; i < 4; i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// stringValue reads a string token's value: raw text when it is plain
// (or valid UTF-8 without escapes), else as encoding/json unquotes it.
func (p *jsonScan) stringValue() (string, bool) {
	start := p.i
	raw, plain, ok := p.str()
	if !ok {
		return "", false
	}
	if plain || (strings.IndexByte(raw, '\\') < 0 && utf8.ValidString(raw)) {
		return raw, true
	}
	var v string
	if err := json.Unmarshal([]byte(p.s[start:p.i]), &v); err != nil {
		return "", false
	}
	return v, true
}

// optString reads a string field: a string, or null (no change).
func (p *jsonScan) optString(dst *string) bool {
	if p.literal("null") {
		return true
	}
	v, ok := p.stringValue()
	*dst = v
	return ok
}

func (p *jsonScan) literal(word string) bool {
	if strings.HasPrefix(p.s[p.i:], word) {
		p.i += len(word)
		return true
	}
	return false
}

// number reads a number token as JSON's grammar has it.
func (p *jsonScan) number() (string, bool) {
	start := p.i
	if p.peek() == '-' {
		p.i++
	}
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case '1' <= c && c <= '9':
		p.digits()
	default:
		return "", false
	}
	if p.peek() == '.' {
		p.i++
		if !p.digits() {
			return "", false
		}
	}
	if c := p.peek(); c == 'e' || c == 'E' {
		p.i++
		if c := p.peek(); c == '+' || c == '-' {
			p.i++
		}
		if !p.digits() {
			return "", false
		}
	}
	return p.s[start:p.i], true
}

func (p *jsonScan) digits() bool {
	start := p.i
	for p.i < len(p.s) && '0' <= p.s[p.i] && p.s[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// integer reads an integer field as encoding/json fills an int: a number
// strconv.ParseInt takes, or null (no change).
func (p *jsonScan) integer(bits int) (n int64, null, ok bool) {
	if p.literal("null") {
		return 0, true, true
	}
	lit, ok := p.number()
	if !ok {
		return 0, false, false
	}
	n, err := strconv.ParseInt(lit, 10, bits)
	return n, false, err == nil
}

// eventTime reads a time field as eventTime.UnmarshalJSON does: any
// value, unreadable ones as the zero time.
func (p *jsonScan) eventTime(dst *eventTime) bool {
	switch c := p.peek(); {
	case c == '"':
		s, ok := p.stringValue()
		dst.Time = parseEventTime(s)
		return ok
	case c == '-' || '0' <= c && c <= '9':
		lit, ok := p.number()
		dst.Time = unixEventTime(lit)
		return ok
	}
	dst.Time = time.Time{}
	return p.skip()
}

// skip validates and passes over one value of any kind.
func (p *jsonScan) skip() bool {
	switch c := p.peek(); {
	case c == '"':
		_, _, ok := p.str()
		return ok
	case c == '{':
		return p.members(func(string) bool { return p.skip() }, false)
	case c == '[':
		return p.elements(p.skip)
	case c == '-' || '0' <= c && c <= '9':
		_, ok := p.number()
		return ok
	}
	return p.literal("true") || p.literal("false") || p.literal("null")
}

// members walks an object, calling member for each key with the scanner
// at its value. With known set, keys must be plain (unescaped ASCII), the
// only ones this scanner matches against field names.
func (p *jsonScan) members(member func(key string) bool, known bool) bool {
	return p.sequence('{', '}', func() bool {
		key, plain, ok := p.str()
		if !ok || (known && !plain) {
			return false
		}
		p.ws()
		if p.peek() != ':' {
			return false
		}
		p.i++
		p.ws()
		return member(key)
	})
}

// elements walks an array, calling element with the scanner at each value.
func (p *jsonScan) elements(element func() bool) bool { return p.sequence('[', ']', element) }

// sequence walks an object or array: open, items separated by commas, close.
func (p *jsonScan) sequence(open, close byte, item func() bool) bool {
	if p.peek() != open || p.depth >= maxJSONDepth {
		return false
	}
	p.i++
	p.depth++
	p.ws()
	if p.peek() == close {
		p.i++
		p.depth--
		return true
	}
	for {
		if !item() {
			return false
		}
		p.ws()
		switch p.peek() {
		case ',':
			p.i++
			p.ws()
		case close:
			p.i++
			p.depth--
			return true
		default:
			return false
		}
	}
}

// fieldSet catches a known field given twice (encoding/json would merge
// or overwrite; that is left to it).
type fieldSet uint32

func (s *fieldSet) first(i int) bool {
	if *s&(1<<i) != 0 {
		return false
	}
	*s |= 1 << i
	return true
}

// envelope reads the EventBridge envelope (and, at the top level, the SNS
// Type and Message that snsEnvelope reads), matching keys as encoding/json
// does: exactly or case-insensitively.
func (p *jsonScan) envelope(env *scannedEnvelope, top bool) bool {
	var seen fieldSet
	return p.members(func(key string) bool {
		switch {
		case strings.EqualFold(key, "id"):
			return seen.first(0) && p.optString(&env.id)
		case strings.EqualFold(key, "detail-type"):
			return seen.first(1) && p.optString(&env.detailType)
		case strings.EqualFold(key, "source"):
			return seen.first(2) && p.optString(&env.source)
		case strings.EqualFold(key, "account"):
			return seen.first(3) && p.optString(&env.account)
		case strings.EqualFold(key, "time"):
			return seen.first(4) && p.eventTime(&env.at)
		case strings.EqualFold(key, "region"):
			return seen.first(5) && p.optString(&env.region)
		case strings.EqualFold(key, "detail"):
			env.hasDetail = true
			return seen.first(6) && p.detail(&env.task)
		case top && strings.EqualFold(key, "Type"):
			return seen.first(7) && p.optString(&env.snsType)
		case top && strings.EqualFold(key, "Message"):
			return seen.first(8) && p.optString(&env.snsMessage)
		}
		return p.skip()
	}, true)
}

// detail reads eventDetail's fields into t.
func (p *jsonScan) detail(t *Task) bool {
	var seen fieldSet
	var created, started, stopping, stopped eventTime
	ok := p.members(func(key string) bool {
		switch {
		case strings.EqualFold(key, "taskArn"):
			return seen.first(0) && p.optString(&t.ARN)
		case strings.EqualFold(key, "clusterArn"):
			return seen.first(1) && p.optString(&t.ClusterARN)
		case strings.EqualFold(key, "taskDefinitionArn"):
			return seen.first(2) && p.optString(&t.TaskDefinitionARN)
		case strings.EqualFold(key, "group"):
			return seen.first(3) && p.optString(&t.Group)
		case strings.EqualFold(key, "startedBy"):
			return seen.first(4) && p.optString(&t.StartedBy)
		case strings.EqualFold(key, "lastStatus"):
			return seen.first(5) && p.optString(&t.LastStatus)
		case strings.EqualFold(key, "desiredStatus"):
			return seen.first(6) && p.optString(&t.DesiredStatus)
		case strings.EqualFold(key, "launchType"):
			return seen.first(7) && p.optString(&t.LaunchType)
		case strings.EqualFold(key, "version"):
			n, _, ok := p.integer(64)
			t.Version = n
			return seen.first(8) && ok
		case strings.EqualFold(key, "createdAt"):
			return seen.first(9) && p.eventTime(&created)
		case strings.EqualFold(key, "startedAt"):
			return seen.first(10) && p.eventTime(&started)
		case strings.EqualFold(key, "stoppingAt"):
			return seen.first(11) && p.eventTime(&stopping)
		case strings.EqualFold(key, "stoppedAt"):
			return seen.first(12) && p.eventTime(&stopped)
		case strings.EqualFold(key, "stopCode"):
			return seen.first(13) && p.optString(&t.StopCode)
		case strings.EqualFold(key, "stoppedReason"):
			return seen.first(14) && p.optString(&t.StoppedReason)
		case strings.EqualFold(key, "containers"):
			return seen.first(15) && p.containers(t)
		}
		return p.skip()
	}, true)
	t.CreatedAt, t.StartedAt, t.StoppingAt, t.StoppedAt = created.Time, started.Time, stopping.Time, stopped.Time
	return ok
}

func (p *jsonScan) containers(t *Task) bool {
	if p.literal("null") {
		return true
	}
	return p.elements(func() bool {
		var c Container
		var seen fieldSet
		ok := p.members(func(key string) bool {
			switch {
			case strings.EqualFold(key, "name"):
				return seen.first(0) && p.optString(&c.Name)
			case strings.EqualFold(key, "image"):
				return seen.first(1) && p.optString(&c.Image)
			case strings.EqualFold(key, "lastStatus"):
				return seen.first(2) && p.optString(&c.LastStatus)
			case strings.EqualFold(key, "exitCode"):
				n, null, ok := p.integer(strconv.IntSize)
				if ok && !null {
					code := int(n)
					c.ExitCode = &code
				}
				return seen.first(3) && ok
			case strings.EqualFold(key, "reason"):
				return seen.first(4) && p.optString(&c.Reason)
			}
			return p.skip()
		}, true)
		t.Containers = append(t.Containers, c)
		return ok
	})
}

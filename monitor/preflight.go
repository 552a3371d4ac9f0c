package monitor

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/aws/smithy-go"
)

// Pre-flight checks: what `once` proves beyond one poll, so that an SRE
// can run it before deploying. Each check is a KindCheck finding: info when
// it passed, critical when it failed (the daemon would not see what it
// should).

// QueueAttributesAPI is what the events-queue check calls; *sqs.Client
// satisfies it.
type QueueAttributesAPI interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, optFns ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
}

// CheckQueue reads the events queue's approximate depth: the queue exists
// and this identity may read it.
func CheckQueue(ctx context.Context, q QueueAttributesAPI, queueURL string, now time.Time) Finding {
	f := Finding{Kind: KindCheck, Severity: SeverityInfo, At: now}
	name := ShortID(queueURL)
	out, err := q.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{
		QueueUrl: aws.String(queueURL),
		AttributeNames: []types.QueueAttributeName{
			types.QueueAttributeNameApproximateNumberOfMessages,
			types.QueueAttributeNameApproximateNumberOfMessagesNotVisible,
		},
	})
	if err != nil {
		f.Severity = SeverityCritical
		f.Message = fmt.Sprintf("events queue %s is not reachable: %s", name, describeErrs(err))
		return f
	}
	waiting, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
	inFlight, _ := strconv.Atoi(out.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessagesNotVisible)])
	f.Value = waiting
	f.Message = fmt.Sprintf("events queue %s is reachable: about %d messages waiting, %d in flight", name, waiting, inFlight)
	return f
}

// CheckDiscovery rediscovers the cluster's rules and schedules and says
// how many of each it found, or why it could not.
func (s *Schedules) CheckDiscovery(ctx context.Context, now time.Time) Finding {
	c := s.o.Cluster
	f := Finding{Kind: KindCheck, Severity: SeverityInfo, Cluster: c.Name, Region: c.Region, At: now}
	err := s.Refresh(ctx, now)
	count := map[string]int{}
	for _, j := range s.Jobs() {
		count[j.Source]++
	}
	f.Value = count[SourceRule] + count[SourceSchedule] + count[SourceConfig]
	found := fmt.Sprintf("%s, %s, %s",
		Plural(count[SourceRule], "EventBridge rule"), Plural(count[SourceSchedule], "Scheduler schedule"),
		Plural(count[SourceConfig], "schedule from config", "schedules from config"))
	if err != nil {
		f.Severity = SeverityCritical
		f.Message = fmt.Sprintf("rule and schedule discovery for %s failed: %s (found %s)", c.Name, describeErrs(err), found)
		return f
	}
	f.Message = fmt.Sprintf("rule and schedule discovery for %s: %s", c.Name, found)
	return f
}

// describeErrs is describeErr for each error of a join, each named by the
// operation that failed.
func describeErrs(err error) string {
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	parts := make([]string, 0, len(errs))
	for _, e := range errs {
		var oe *smithy.OperationError
		if errors.As(e, &oe) {
			parts = append(parts, oe.Operation()+": "+describeErr(e))
			continue
		}
		parts = append(parts, describeErr(e))
	}
	return strings.Join(parts, "; ")
}

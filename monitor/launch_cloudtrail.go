package monitor

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// CloudTrail RunTask records as EventBridge delivers them
// (docs/AWS-NOTES.md §7): detail-type "AWS API Call via CloudTrail",
// source aws.ecs, detail.eventSource ecs.amazonaws.com, detail.eventName
// RunTask.
const (
	cloudTrailDetailType = "AWS API Call via CloudTrail"
	ecsEventSourceHost   = "ecs.amazonaws.com"
)

type cloudTrailEnvelope struct {
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Region     string          `json:"region"`
	Detail     json.RawMessage `json:"detail"`
}

type cloudTrailDetail struct {
	EventID         string    `json:"eventID"`
	EventTime       eventTime `json:"eventTime"`
	EventSource     string    `json:"eventSource"`
	EventName       string    `json:"eventName"`
	AWSRegion       string    `json:"awsRegion"`
	SourceIPAddress string    `json:"sourceIPAddress"`
	UserIdentity    struct {
		InvokedBy string `json:"invokedBy"`
	} `json:"userIdentity"`
	ErrorCode         string `json:"errorCode"`
	ErrorMessage      string `json:"errorMessage"`
	RequestParameters *struct {
		Cluster        string `json:"cluster"`
		TaskDefinition string `json:"taskDefinition"`
		StartedBy      string `json:"startedBy"`
		Group          string `json:"group"`
	} `json:"requestParameters"`
	ResponseElements *struct {
		Tasks    []json.RawMessage `json:"tasks"`
		Failures []struct {
			Arn    string `json:"arn"`
			Reason string `json:"reason"`
			Detail string `json:"detail"`
		} `json:"failures"`
	} `json:"responseElements"`
}

// ParseCloudTrailRunTask reads a CloudTrail RunTask record from an SQS
// message body. ok is false when the body is not such a record (the caller
// tries other shapes); a record that is one but reports no refused
// scheduled launch (it started its task, or a person made the call) gives
// ok true and a nil attempt. Errors never quote the body.
func ParseCloudTrailRunTask(body []byte) (a *LaunchAttempt, ok bool, err error) {
	var env cloudTrailEnvelope
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, false, fmt.Errorf("decode CloudTrail record JSON: %w", err)
	}
	if env.DetailType != cloudTrailDetailType || env.Source != eventSource {
		return nil, false, nil
	}
	var d cloudTrailDetail
	if err := json.Unmarshal(env.Detail, &d); err != nil {
		return nil, true, fmt.Errorf("decode CloudTrail record detail: %w", err)
	}
	if d.EventSource != ecsEventSourceHost || d.EventName != "RunTask" {
		return nil, true, nil
	}
	req := d.RequestParameters
	if req == nil || !scheduledCall(d.UserIdentity.InvokedBy, d.SourceIPAddress, req.StartedBy) {
		return nil, true, nil
	}
	code, text := d.ErrorCode, d.ErrorMessage
	if code == "" {
		resp := d.ResponseElements
		if resp == nil || len(resp.Tasks) > 0 || len(resp.Failures) == 0 {
			return nil, true, nil
		}
		var reasons []string
		for _, f := range resp.Failures {
			r := f.Reason
			if f.Detail != "" {
				r += " (" + f.Detail + ")"
			}
			reasons = append(reasons, r)
		}
		text = strings.Join(reasons, "; ")
	}
	region := d.AWSRegion
	if region == "" {
		region = env.Region
	}
	id := d.EventID
	if id == "" {
		id = env.ID
	}
	return &LaunchAttempt{
		Source:    LaunchSourceCloudTrail,
		ID:        "cloudtrail:" + id,
		Cluster:   req.Cluster,
		Region:    region,
		Task:      Task{StartedBy: req.StartedBy, Group: req.Group, TaskDefinitionARN: req.TaskDefinition},
		At:        d.EventTime.Time,
		ErrorCode: code,
		Text:      text,
	}, true, nil
}

// scheduledCall says whether EventBridge or Scheduler made the call on a
// job's behalf, rather than a person or a deploy tool.
func scheduledCall(invokedBy, sourceIP, startedBy string) bool {
	// The services that call RunTask on a schedule's behalf, as CloudTrail
	// names them in userIdentity.invokedBy and sourceIPAddress.
	for _, p := range []string{"events.amazonaws.com", "scheduler.amazonaws.com"} {
		if invokedBy == p || sourceIP == p {
			return true
		}
	}
	return strings.HasPrefix(startedBy, startedByRule) || strings.HasPrefix(startedBy, startedBySchedule)
}

// eventTimeOrZero parses an ISO-8601 time, zero if it does not parse.
func eventTimeOrZero(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

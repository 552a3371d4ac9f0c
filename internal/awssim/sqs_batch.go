package awssim

import "strings"

// This file holds SendMessageBatch and DeleteMessageBatch: up to ten entries,
// each succeeding or failing on its own.

// sqsMaxBatch is the most entries an SQS batch request may hold.
const sqsMaxBatch = 10

type sqsBatchError struct {
	Id          string `json:"Id"`
	SenderFault bool   `json:"SenderFault"`
	Code        string `json:"Code"`
	Message     string `json:"Message,omitempty"`
}

// sqsEntryError turns an operation error into a batch entry failure, with the
// short code a batch result carries.
func sqsEntryError(id string, aerr *apiError) sqsBatchError {
	code := aerr.Code[strings.LastIndex(aerr.Code, "#")+1:]
	return sqsBatchError{Id: id, SenderFault: aerr.Status < 500, Code: code, Message: aerr.Message}
}

// sqsCheckBatchIDs applies the rules every batch request shares: 1 to 10
// entries, ids well-formed and distinct.
func sqsCheckBatchIDs(ids []string) *apiError {
	if len(ids) == 0 {
		return sqsErr(400, "EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest",
			"There should be at least one entry in the request.")
	}
	if len(ids) > sqsMaxBatch {
		return sqsErr(400, "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
			"Maximum number of entries per request are %d. You have sent %d.", sqsMaxBatch, len(ids))
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if !sqsValidBatchID(id) {
			return sqsErr(400, "InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId",
				"A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return sqsErr(400, "BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
				"Id %s repeated.", id)
		}
		seen[id] = true
	}
	return nil
}

func sqsValidBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *Server) sqsSendMessageBatch(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl string `json:"QueueUrl"`
		Entries  []struct {
			Id           string `json:"Id"`
			MessageBody  string `json:"MessageBody"`
			DelaySeconds *int   `json:"DelaySeconds"`
		} `json:"Entries"`
	}
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		ids := make([]string, len(in.Entries))
		for i, e := range in.Entries {
			ids[i] = e.Id
		}
		if aerr := sqsCheckBatchIDs(ids); aerr != nil {
			return nil, aerr
		}
		type okEntry struct {
			Id string `json:"Id"`
			sqsSendResult
		}
		out := struct {
			Successful []okEntry       `json:"Successful"`
			Failed     []sqsBatchError `json:"Failed"`
		}{Successful: []okEntry{}, Failed: []sqsBatchError{}}
		now := s.now()
		for _, e := range in.Entries {
			m, aerr := qu.sendOneLocked(e.MessageBody, e.DelaySeconds, now)
			if aerr != nil {
				out.Failed = append(out.Failed, sqsEntryError(e.Id, aerr))
				continue
			}
			out.Successful = append(out.Successful, okEntry{Id: e.Id, sqsSendResult: sqsSendResult{MessageId: m.id, MD5OfMessageBody: m.md5}})
		}
		return out, nil
	})
}

func (s *Server) sqsDeleteMessageBatch(body []byte) (any, *apiError) {
	var in struct {
		QueueUrl string `json:"QueueUrl"`
		Entries  []struct {
			Id            string `json:"Id"`
			ReceiptHandle string `json:"ReceiptHandle"`
		} `json:"Entries"`
	}
	return s.withQueue(body, &in, &in.QueueUrl, func(qu *sqsQueue) (any, *apiError) {
		ids := make([]string, len(in.Entries))
		for i, e := range in.Entries {
			ids[i] = e.Id
		}
		if aerr := sqsCheckBatchIDs(ids); aerr != nil {
			return nil, aerr
		}
		type okEntry struct {
			Id string `json:"Id"`
		}
		out := struct {
			Successful []okEntry       `json:"Successful"`
			Failed     []sqsBatchError `json:"Failed"`
		}{Successful: []okEntry{}, Failed: []sqsBatchError{}}
		qu.sweepLocked(s.now())
		for _, e := range in.Entries {
			if aerr := qu.deleteLocked(e.ReceiptHandle); aerr != nil {
				out.Failed = append(out.Failed, sqsEntryError(e.Id, aerr))
				continue
			}
			out.Successful = append(out.Successful, okEntry{Id: e.Id})
		}
		return out, nil
	})
}

package monitor

import (
	"errors"
	"strconv"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
)

// errorCode names an AWS error by its code (AccessDeniedException,
// ThrottlingException...), or a generic class.
func errorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var oe *smithy.OperationError
	if errors.As(err, &oe) {
		return "RequestError"
	}
	return "Error"
}

// describeErr is the message shown to people: the AWS code and message,
// without the SDK's request ids and retry noise.
func describeErr(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// isNotFound reports whether err is an AWS ResourceNotFoundException.
func isNotFound(err error) bool { return errorCode(err) == "ResourceNotFoundException" }

// failureKey identifies a failure for "log a repeating failure once per
// change": the service, operation, AWS error code and HTTP status. It is
// deliberately not err.Error(): a real AWS error embeds a fresh request id
// in its text at every call, so comparing texts logs every attempt. An
// error that is not an AWS one (no operation, no code) is keyed by its
// text, which then carries no per-call id.
func failureKey(err error) string {
	if err == nil {
		return ""
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok { // errors.Join
		var key string
		for _, e := range j.Unwrap() {
			key += failureKey(e) + ";"
		}
		return key
	}
	var oe *smithy.OperationError
	var ae smithy.APIError
	if !errors.As(err, &oe) && !errors.As(err, &ae) {
		return err.Error()
	}
	key := ""
	if oe != nil {
		key = oe.Service() + "." + oe.Operation()
	}
	key += "|" + errorCode(err)
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		key += "|" + strconv.Itoa(re.HTTPStatusCode())
	}
	return key
}

// failureLog remembers the last failure logged by one loop, so that a
// repeating failure is logged once per change, not once per attempt. It is
// owned by one goroutine.
type failureLog struct{ last string }

// changed records err (nil: recovered) and reports whether it differs from
// the failure last recorded.
func (l *failureLog) changed(err error) bool {
	k := failureKey(err)
	if k == l.last {
		return false
	}
	l.last = k
	return true
}

// failing reports whether the last recorded outcome was a failure.
func (l *failureLog) failing() bool { return l.last != "" }

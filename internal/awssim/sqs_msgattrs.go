package awssim

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"maps"
	"slices"
	"strings"
	"time"
)

// sqsAttrValue is a message attribute on the wire (String only: the
// senders the simulator plays use no other type).
type sqsAttrValue struct {
	DataType    string `json:"DataType"`
	StringValue string `json:"StringValue"`
}

// selectMessageAttrs returns the attributes asked for: by name, "All" or
// ".*", or a "prefix.*".
func selectMessageAttrs(attrs map[string]string, names []string) map[string]sqsAttrValue {
	if len(attrs) == 0 || len(names) == 0 {
		return nil
	}
	out := map[string]sqsAttrValue{}
	for k, v := range attrs {
		for _, n := range names {
			prefix, wild := strings.CutSuffix(n, ".*")
			if n == "All" || n == ".*" || n == k || (wild && strings.HasPrefix(k, prefix+".")) {
				out[k] = sqsAttrValue{DataType: "String", StringValue: v}
				break
			}
		}
	}
	return out
}

// sqsAttrsMD5 is MD5OfMessageAttributes as SQS computes it and the SDK
// checks it: for each attribute in name order, the length-prefixed name,
// the length-prefixed data type, transport byte 1 (string) and the
// length-prefixed value.
func sqsAttrsMD5(attrs map[string]sqsAttrValue) string {
	h := md5.New()
	put := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		a := attrs[k]
		put(k)
		put(a.DataType)
		h.Write([]byte{1})
		put(a.StringValue)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sendWithAttrsLocked enqueues a message carrying message attributes.
func (q *sqsState) sendWithAttrsLocked(queue, body string, attrs map[string]string, now time.Time) error {
	qu, aerr := q.lookupLocked(queue)
	if aerr != nil {
		return aerr
	}
	if aerr := sqsValidBody(body); aerr != nil {
		return aerr
	}
	m := qu.enqueueLocked(body, qu.cfg.delay, now)
	m.attrs = attrs
	return nil
}

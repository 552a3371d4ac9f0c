package awssim

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// s3State is the simulated S3: buckets of objects. Guarded by Server.mu.
type s3State struct {
	buckets map[string]map[string]s3Object
}

type s3Object struct {
	body     []byte
	modified time.Time
}

func (b *s3State) init() { b.buckets = map[string]map[string]s3Object{} }

// PutObject stores an object, creating its bucket if needed.
func (s *Server) PutObject(bucket, key string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	objs := s.s3.buckets[bucket]
	if objs == nil {
		objs = map[string]s3Object{}
		s.s3.buckets[bucket] = objs
	}
	objs[key] = s3Object{body: append([]byte(nil), body...), modified: s.now()}
}

// serveS3 answers S3's REST-XML protocol, path-style (/bucket/key), which
// the SDK uses by itself against an IP-address endpoint. Only GetObject
// is implemented.
func (s *Server) serveS3(w http.ResponseWriter, r *http.Request) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if r.Method != http.MethodGet || bucket == "" || key == "" {
		s.count("s3:Unknown")
		writeS3Error(w, &apiError{Status: 501, Code: "NotImplemented", Message: "only GetObject is simulated"})
		return
	}
	s.count("s3:GetObject")
	s.mu.Lock()
	if f := s.matchFaultLocked("s3:GetObject", nil); f != nil {
		s.mu.Unlock()
		writeS3Error(w, f)
		return
	}
	objs, okBucket := s.s3.buckets[bucket]
	obj, okKey := objs[key]
	s.mu.Unlock()
	switch {
	case !okBucket:
		writeS3Error(w, &apiError{Status: 404, Code: "NoSuchBucket", Message: "The specified bucket does not exist"})
		return
	case !okKey:
		writeS3Error(w, &apiError{Status: 404, Code: "NoSuchKey", Message: "The specified key does not exist."})
		return
	}
	sum := md5.Sum(obj.body)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(obj.body)))
	w.Header().Set("ETag", `"`+hex.EncodeToString(sum[:])+`"`)
	w.Header().Set("Last-Modified", obj.modified.UTC().Format(http.TimeFormat))
	w.Header().Set("X-Amz-Request-Id", requestID())
	_, _ = w.Write(obj.body)
}

func (s *Server) count(op string) {
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
}

// writeS3Error writes S3's error document.
func writeS3Error(w http.ResponseWriter, e *apiError) {
	id := requestID()
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", id)
	status := e.Status
	if status == 0 {
		status = 400
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		RequestID string   `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, RequestID: id})
}

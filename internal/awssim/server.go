// Package awssim is a small AWS simulator for tests and the demo: an
// ordinary HTTP server on 127.0.0.1 that speaks the wire protocols the real
// aws-sdk-go-v2 clients use (ECS JSON 1.1, SQS JSON 1.0, EventBridge JSON 1.1,
// EventBridge Scheduler REST-JSON, Service Quotas JSON 1.1, CloudWatch RPCv2
// CBOR, SSM JSON 1.1, S3 REST-XML, DynamoDB JSON 1.0 (see dynamodb.go), and
// in a Cloud STS's query protocol with XML answers). The daemon cannot tell
// it from AWS: it is pointed here only through AWS_ENDPOINT_URL or the
// SDK's BaseEndpoint.
//
// A Server is one account in one region. A Cloud puts many behind one
// endpoint and tells them apart as AWS does, from the request alone: the
// account by the access key that signed it (long-term keys are the home
// account's; a temporary key STS issued belongs to the assumed role's
// account, and must come with its session token and not have expired),
// the region by the SigV4 credential scope. So a daemon assuming roles
// reaches each member account's clusters only through the credentials it
// got for that account, with nothing but AWS_ENDPOINT_URL set.
//
// # Where it differs from AWS
//
// This is the one list of differences the daemon's behaviour could depend
// on; a new one is a deliberate choice, written here. Where a difference
// once hid a bug, it now behaves as AWS does, and says so.
//
// Behaves as AWS does (once differed, and hid a bug):
//   - Every response, errors included, carries a fresh x-amzn-RequestId,
//     which the SDK writes into the error's text: code comparing error
//     texts sees a new text at every call, as against AWS.
//   - A cluster with no task is an ordinary cluster: DescribeClusters
//     answers its ARN; an unknown one is a MISSING failure, and ListTasks
//     on it ClusterNotFoundException.
//   - DynamoDB answers carry X-Amz-Crc32, the checksum of the body, which
//     the SDK's DynamoDB client checks (without it, it warns on every call).
//   - Plain HTTP by default, HTTPS with StartTLS: the custom-CA path
//     (AWS_CA_BUNDLE) is tested with a certificate from a test CA.
//
// Behaves as AWS documents (checked, because shutdown depends on it):
//   - SQS ChangeMessageVisibility counts the new timeout from the call; 0
//     makes the message receivable at once and wakes long polls; on a
//     message not in flight it answers MessageNotInflight (so a late
//     extension after a reset to 0 changes nothing); a deleted message's
//     handle answers ReceiptHandleIsInvalid; an older handle of a message
//     that still exists deletes it.
//   - A long poll whose client has gone away stops waiting, but one that
//     found messages just as its client left has made them invisible for
//     their timeout with the response unread, as AWS may: a consumer
//     cannot release those.
//
// Differs, on purpose:
//   - Time: task lifecycles (TaskPlan) and rule fires follow the injected
//     clock, and only when the test or demo calls Advance, Step or
//     FireDue; AWS moves on its own, with seconds to minutes of
//     provisioning. SQS visibility is judged by the injected clock, while a
//     long poll waits in real time (it wakes when a message is sent).
//   - Rules and schedules do not fire by themselves (FireDue plays
//     EventBridge), and a fired rule starts its task at once; SkipNextFire
//     plays a run that never started.
//   - Task-state events are sent to the routed queue synchronously at each
//     change, in order, without EventBridge's delivery delay, duplicates or
//     reordering (tests send duplicates and old versions themselves).
//   - No authentication or authorisation: signatures and credentials are
//     not checked, IAM is not enforced; AccessDenied, throttling and
//     server errors come only from InjectFault.
//   - One account and one region per Server; a Cloud routes by the
//     signing key and region of a single endpoint, where AWS has an
//     endpoint per service and region. STS is answered by a Cloud only.
//   - STS trust is a list of principals and an optional external id, not
//     a policy document; signatures are not verified, only the access key
//     and session token are matched. CloudOptions.SessionDuration issues
//     credentials shorter than AWS's 15-minute minimum, so a test sees a
//     refresh in seconds; expiry is judged by the injected clock.
//   - SSM: GetParameter only; a SecureString is stored in clear and, read
//     without WithDecryption, answers a stand-in ciphertext; no KMS.
//   - S3: GetObject only, path-style (the SDK's choice for an IP-address
//     endpoint); buckets belong to one account and region's Server.
//   - Stopped tasks stay listed for about an hour of the injected clock, as
//     AWS documents "at least an hour"; exact retention is not modelled.
//   - Only the operations and fields the daemon uses are implemented; any
//     other operation is an UnknownOperationException.
//   - An older receipt handle of a message received again since is
//     accepted by ChangeMessageVisibility and moves the message's
//     visibility; AWS says only that a handle used past its visibility
//     timeout "might result in an error". This is the harsher case: a
//     consumer whose visibility heartbeat outlived its handler would hide
//     the message from its new holder here.
//   - Fargate: every simulated task is On-Demand; usage is the base usage a
//     test sets plus the vCPU of tasks not yet stopped, published as the
//     AWS/Usage metric at the current minute; quotas default to 1000 vCPU.
//     A refused launch leaves its traces at once (launch.go): the CloudTrail
//     record without CloudTrail's minutes of delay, the dead letter without
//     Scheduler's retries.
package awssim

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Options configures a Server. Zero values are sensible.
type Options struct {
	Region  string           // default "ap-northeast-1"
	Account string           // default "123456789012"
	Now     func() time.Time // default time.Now; inject to control task times
}

// Server is the simulator. All state sits behind one mutex: it is a test
// double, and simple beats fast here.
type Server struct {
	region  string
	account string
	now     func() time.Time

	mu     sync.Mutex
	calls  map[string]int // "ecs:ListTasks" -> count
	faults []*Fault
	ecs    ecsState
	sqs    sqsState
	events eventsState
	launch launchState
	dynamo dynamoState

	ln     net.Listener
	scheme string // http or https
	srv    *http.Server
	// front, for a Server inside a Cloud, is the Cloud's URL: the one
	// endpoint every account and region is reached through.
	front func() string

	ssm ssmState
	s3  s3State
}

// New builds a Server; call Start to listen.
func New(o Options) *Server {
	if o.Region == "" {
		o.Region = "ap-northeast-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	s := &Server{region: o.Region, account: o.Account, now: o.Now, calls: map[string]int{}}
	s.ecs.init()
	s.sqs.init()
	s.events.init()
	s.launch.init()
	s.ssm.init()
	s.s3.init()
	s.dynamo.init()
	return s
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func (s *Server) Start() error { return s.StartTLS(nil) }

// StartTLS is Start, serving HTTPS with tc when it is not nil (tests of
// the custom-CA path: a certificate from a CA the test made, trusted only
// through AWS_CA_BUNDLE).
func (s *Server) StartTLS(tc *tls.Config) error {
	ln, scheme, srv, err := serve(s, tc)
	if err != nil {
		return err
	}
	s.ln, s.scheme, s.srv = ln, scheme, srv
	return nil
}

// serve listens on a free port of 127.0.0.1 (HTTPS with tc when it is not
// nil) and serves h there until the server is shut down.
func serve(h http.Handler, tc *tls.Config) (net.Listener, string, *http.Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", nil, fmt.Errorf("listen for simulator: %w", err)
	}
	scheme := "http"
	if tc != nil {
		ln, scheme = tls.NewListener(ln, tc), "https"
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return ln, scheme, srv, nil
}

// shutdown stops srv, giving requests in flight two seconds.
func shutdown(srv *http.Server) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return srv.Shutdown(ctx)
}

// URL is the endpoint to give the SDK (AWS_ENDPOINT_URL or BaseEndpoint).
func (s *Server) URL() string {
	if s.front != nil {
		return s.front()
	}
	return s.scheme + "://" + s.ln.Addr().String()
}

// Close stops the server.
func (s *Server) Close() error {
	if s.srv == nil {
		return nil
	}
	s.releaseLongPolls()
	return shutdown(s.srv)
}

// releaseLongPolls ends waiting long polls: they wait on real time, and
// a shutting-down server need not wait for them.
func (s *Server) releaseLongPolls() {
	s.mu.Lock()
	s.sqs.closeLocked()
	s.mu.Unlock()
}

// Region and Account the simulator pretends to be in.
func (s *Server) Region() string  { return s.region }
func (s *Server) Account() string { return s.account }

// Calls returns how many times an operation was called, e.g. "ecs:ListTasks".
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// ResetCalls zeroes every call counter.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = map[string]int{}
}

// Fault makes matching calls fail with an AWS-shaped error.
type Fault struct {
	Op      string // "ecs:ListTasks"; "" matches every operation
	Cluster string // match requests naming this cluster (name or ARN); "" matches all
	Body    string // match requests whose body contains this text (one replica's lease owner); "" matches all
	Code    string // e.g. "AccessDeniedException", "ThrottlingException"
	Message string
	Status  int // HTTP status, default 400
	Times   int // fail this many calls, then stop; 0 = until removed
	used    int
}

// InjectFault adds a fault and returns a function that removes it.
func (s *Server) InjectFault(f Fault) (remove func()) {
	fp := &f
	s.mu.Lock()
	s.faults = append(s.faults, fp)
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		for i, g := range s.faults {
			if g == fp {
				s.faults = append(s.faults[:i], s.faults[i+1:]...)
				return
			}
		}
	}
}

// apiError is an AWS-shaped error response.
type apiError struct {
	Status  int
	Code    string // short code, e.g. "ClusterNotFoundException"
	Message string
	// QueryCode, for SQS, is the legacy query-protocol code the SDK reads
	// from the x-amzn-query-error header (e.g. "AWS.SimpleQueueService.NonExistentQueue").
	QueryCode string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func errBadRequest(code, format string, a ...any) *apiError {
	return &apiError{Status: 400, Code: code, Message: fmt.Sprintf(format, a...)}
}

// handler serves one operation: it receives the raw JSON body and returns a
// value to encode as the JSON response, or an error.
type handler func(body []byte) (any, *apiError)

// ServeHTTP routes by X-Amz-Target (JSON protocols) or by path (REST-JSON).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 16<<20))
	if err != nil {
		writeError(w, "application/x-amz-json-1.1", &apiError{Status: 400, Code: "SerializationException", Message: err.Error()})
		return
	}
	if isCBORRequest(r) {
		s.serveCBOR(w, r, body)
		return
	}
	target := r.Header.Get("X-Amz-Target")
	service, op, ok := strings.Cut(target, ".")
	var (
		name  string
		h     handler
		ctype = "application/x-amz-json-1.1"
	)
	switch {
	case ok && service == "AmazonEC2ContainerServiceV20141113":
		name, h = "ecs:"+op, s.ecsHandler(op)
	case ok && service == "AmazonSQS":
		name, h, ctype = "sqs:"+op, s.sqsHandler(r.Context(), op), "application/x-amz-json-1.0"
	case ok && service == "AWSEvents":
		name, h = "events:"+op, s.eventsHandler(op)
	case ok && service == "ServiceQuotasV20190624":
		name, h = "servicequotas:"+op, s.serviceQuotasHandler(op)
	case ok && service == "AmazonSSM":
		name, h = "ssm:"+op, s.ssmHandler(op)
	case !ok && target == "" && signingService(r) == "s3":
		// S3 is REST-XML and answers in its own shape.
		s.serveS3(w, r)
		return
	case ok && service == "DynamoDB_20120810":
		name, h, ctype = "dynamodb:"+op, s.dynamoHandler(op), "application/x-amz-json-1.0"
		cw := &crc32Writer{ResponseWriter: w}
		defer cw.flush()
		w = cw
	case !ok && target == "":
		// EventBridge Scheduler is REST-JSON: the operation is in the path.
		var params map[string]string
		name, h, params = s.schedulerRoute(r.Method, r.URL.Path)
		if h != nil {
			h = withPathParams(h, params, r.URL.Query())
		}
		ctype = "application/json"
	}
	if h == nil {
		writeError(w, ctype, &apiError{Status: 400, Code: "UnknownOperationException", Message: fmt.Sprintf("unknown operation %q %s %s", target, r.Method, r.URL.Path)})
		return
	}
	s.mu.Lock()
	s.calls[name]++
	fault := s.matchFaultLocked(name, body)
	s.mu.Unlock()
	if fault != nil {
		writeError(w, ctype, fault)
		return
	}
	out, aerr := h(body)
	if aerr != nil {
		writeError(w, ctype, aerr)
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Amzn-Requestid", requestID())
	if out == nil {
		out = struct{}{}
	}
	_ = json.NewEncoder(w).Encode(out)
}

// matchFaultLocked returns the error of the first fault matching the call.
func (s *Server) matchFaultLocked(op string, body []byte) *apiError {
	for i := 0; i < len(s.faults); i++ {
		f := s.faults[i]
		if f.Op != "" && f.Op != op {
			continue
		}
		if f.Cluster != "" && !bodyNamesCluster(body, f.Cluster) {
			continue
		}
		if f.Body != "" && !strings.Contains(string(body), f.Body) {
			continue
		}
		f.used++
		if f.Times > 0 && f.used >= f.Times {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		status := f.Status
		if status == 0 {
			status = 400
		}
		msg := f.Message
		if msg == "" {
			msg = "injected fault"
		}
		return &apiError{Status: status, Code: f.Code, Message: msg}
	}
	return nil
}

// bodyNamesCluster reports whether a request body's "cluster" field names
// the cluster (by name or by ARN).
func bodyNamesCluster(body []byte, cluster string) bool {
	var v struct {
		Cluster string `json:"cluster"`
	}
	if json.Unmarshal(body, &v) != nil || v.Cluster == "" {
		return cluster == "default"
	}
	return v.Cluster == cluster || strings.HasSuffix(v.Cluster, "/"+cluster) || strings.HasSuffix(cluster, "/"+v.Cluster)
}

// requestID is a fresh id in AWS's UUID shape. AWS sends one with every
// response, errors included, and the SDK puts it into the error's text, so
// an error's text differs at every call: code that compares error texts
// must meet that here too.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

func writeError(w http.ResponseWriter, ctype string, e *apiError) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("X-Amzn-Requestid", requestID())
	w.Header().Set("X-Amzn-Errortype", e.Code)
	if e.QueryCode != "" {
		w.Header().Set("X-Amzn-Query-Error", e.QueryCode+";Sender")
	}
	status := e.Status
	if status == 0 {
		status = 400
	}
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.Code, "message": e.Message})
}

// decode unmarshals a request body, reporting errors the way AWS does.
func decode(body []byte, v any) *apiError {
	if len(body) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &apiError{Status: 400, Code: "SerializationException", Message: err.Error()}
	}
	return nil
}

// withPathParams merges REST path and query parameters into the JSON body
// so that REST handlers can decode one struct.
func withPathParams(h handler, params map[string]string, q map[string][]string) handler {
	return func(body []byte) (any, *apiError) {
		m := map[string]any{}
		if len(body) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, &apiError{Status: 400, Code: "ValidationException", Message: err.Error()}
			}
		}
		for k, v := range q {
			if len(v) > 0 {
				m[k] = v[0]
			}
		}
		for k, v := range params {
			m[k] = v
		}
		merged, err := json.Marshal(m)
		if err != nil {
			return nil, &apiError{Status: 500, Code: "InternalError", Message: errors.New("merge params").Error()}
		}
		return h(merged)
	}
}

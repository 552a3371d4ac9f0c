package awssim

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// CloudOptions configures a Cloud. Zero values are sensible.
type CloudOptions struct {
	// Home is the account of every long-term access key (the daemon's own
	// credentials). Default "111111111111".
	Home string
	// User is the principal those keys belong to, as GetCallerIdentity
	// names it. Default arn:aws:iam::<Home>:user/ecs-cron-monitor.
	User string
	// SessionDuration, when set, is the lifetime of every credential
	// AssumeRole issues, whatever the caller asked for (AWS's minimum is
	// 15 minutes; tests of the refresh use seconds).
	SessionDuration time.Duration
	Now             func() time.Time // default time.Now
}

// Cloud is several accounts and regions behind one endpoint, told apart
// the way AWS tells them apart: the account by the access key that signed
// the request (a long-term key is the home account's; a temporary key is
// the account of the role STS issued it for), the region by the SigV4
// credential scope. Each account and region is a Server of its own, so a
// daemon assuming a role in another account sees that account's clusters,
// queues and rules, and nothing of the others'. STS (AssumeRole,
// GetCallerIdentity) is answered here, in its query protocol.
type Cloud struct {
	o CloudOptions

	mu       sync.Mutex
	servers  map[string]*Server // "account/region"
	roles    map[string]*Role   // by ARN
	sessions map[string]*stsSession
	calls    map[string]int // "sts:AssumeRole" -> count
	issued   map[string]int // role ARN -> credentials issued
	expired  int            // requests refused for an expired token
	seq      int

	ln     net.Listener
	scheme string
	srv    *http.Server
}

// Role is an IAM role that can be assumed.
type Role struct {
	ARN string // arn:aws:iam::<account>:role/<name>
	// Trust lists the principals allowed to assume it: an account root
	// (arn:aws:iam::<account>:root: any principal of that account), a
	// user ARN, or a role ARN (any session of that role).
	Trust []string
	// ExternalID, when set, must be sent with AssumeRole.
	ExternalID string
}

type stsSession struct {
	account, role, arn, secret, token string
	expires                           time.Time
	lastUse                           time.Time // zero: never used
}

// NewCloud builds a Cloud; call Start to listen.
func NewCloud(o CloudOptions) *Cloud {
	if o.Home == "" {
		o.Home = "111111111111"
	}
	if o.User == "" {
		o.User = "arn:aws:iam::" + o.Home + ":user/ecs-cron-monitor"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Cloud{o: o, servers: map[string]*Server{}, roles: map[string]*Role{},
		sessions: map[string]*stsSession{}, calls: map[string]int{}, issued: map[string]int{}}
}

// Server returns the simulator of one account and region, creating it
// the first time.
func (c *Cloud) Server(account, region string) *Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := account + "/" + region
	s := c.servers[key]
	if s == nil {
		s = New(Options{Account: account, Region: region, Now: c.o.Now})
		s.front = c.URL
		c.servers[key] = s
	}
	return s
}

// Home is the account of the long-term credentials.
func (c *Cloud) Home() string { return c.o.Home }

// AddRole makes a role assumable.
func (c *Cloud) AddRole(r Role) {
	c.mu.Lock()
	defer c.mu.Unlock()
	rc := r
	c.roles[r.ARN] = &rc
}

// Calls counts STS operations, e.g. "sts:AssumeRole".
func (c *Cloud) Calls(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[op]
}

// Issued counts the credentials AssumeRole issued for a role.
func (c *Cloud) Issued(roleARN string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.issued[roleARN]
}

// UsedNearExpiry counts the temporary credentials last used less than
// margin before they expired: a caller that renews early enough (the
// SDK's ExpiryWindow) has none, one that waits for expiry has many.
func (c *Cloud) UsedNearExpiry(margin time.Duration) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, s := range c.sessions {
		if !s.lastUse.IsZero() && s.expires.Sub(s.lastUse) < margin {
			n++
		}
	}
	return n
}

// Expired counts requests refused because their temporary credentials had
// expired: a daemon that refreshes in time makes none.
func (c *Cloud) Expired() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.expired
}

// Start listens on 127.0.0.1 on a free port and serves until Close.
func (c *Cloud) Start() error { return c.StartTLS(nil) }

// StartTLS is Start, serving HTTPS with tc when it is not nil.
func (c *Cloud) StartTLS(tc *tls.Config) error {
	ln, scheme, srv, err := serve(c, tc)
	if err != nil {
		return err
	}
	c.ln, c.scheme, c.srv = ln, scheme, srv
	return nil
}

// URL is the one endpoint of every account and region (AWS_ENDPOINT_URL).
func (c *Cloud) URL() string {
	if c.ln == nil {
		return ""
	}
	return c.scheme + "://" + c.ln.Addr().String()
}

// Close stops the server.
func (c *Cloud) Close() error {
	if c.srv == nil {
		return nil
	}
	c.mu.Lock()
	servers := make([]*Server, 0, len(c.servers))
	for _, s := range c.servers {
		servers = append(servers, s)
	}
	c.mu.Unlock()
	for _, s := range servers {
		s.releaseLongPolls()
	}
	return shutdown(c.srv)
}

// ServeHTTP answers STS itself and hands every other request to the
// Server of the signer's account and the signed region.
func (c *Cloud) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sig := signatureOf(r)
	if sig.Service == "sts" {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			writeSTSError(w, &apiError{Status: 400, Code: "MalformedQueryString", Message: err.Error()})
			return
		}
		c.serveSTS(w, sig, body)
		return
	}
	account, aerr := c.accountOf(sig)
	if aerr != nil {
		if sig.Service == "s3" {
			writeS3Error(w, aerr)
		} else {
			writeError(w, "application/x-amz-json-1.1", aerr)
		}
		return
	}
	c.Server(account, sig.Region).ServeHTTP(w, r)
}

// accountOf is the account a request's credentials belong to.
func (c *Cloud) accountOf(sig signature) (string, *apiError) {
	c.mu.Lock()
	defer c.mu.Unlock()
	p, aerr := c.principalLocked(sig)
	if aerr != nil {
		return "", aerr
	}
	return p.account, nil
}

type principal struct{ account, arn, userID string }

// principalLocked identifies the signer: a temporary key STS issued (its
// token must match and must not have expired), else the home user.
func (c *Cloud) principalLocked(sig signature) (principal, *apiError) {
	if !strings.HasPrefix(sig.AccessKey, "ASIA") {
		return principal{account: c.o.Home, arn: c.o.User, userID: "AIDA" + strings.ToUpper(c.o.Home)}, nil
	}
	s := c.sessions[sig.AccessKey]
	if s == nil || s.token != sig.Token {
		return principal{}, &apiError{Status: 403, Code: "InvalidClientTokenId", Message: "The security token included in the request is invalid."}
	}
	if !c.o.Now().Before(s.expires) {
		c.expired++
		return principal{}, &apiError{Status: 400, Code: "ExpiredTokenException", Message: "The security token included in the request is expired"}
	}
	s.lastUse = c.o.Now()
	return principal{account: s.account, arn: s.arn, userID: "AROA" + strings.ToUpper(s.role)}, nil
}

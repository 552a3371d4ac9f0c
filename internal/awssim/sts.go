package awssim

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const stsNamespace = "https://sts.amazonaws.com/doc/2011-06-15/"

// serveSTS answers the STS query protocol: a form-encoded POST naming
// the Action, answered in XML.
func (c *Cloud) serveSTS(w http.ResponseWriter, sig signature, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		writeSTSError(w, &apiError{Status: 400, Code: "MalformedQueryString", Message: err.Error()})
		return
	}
	action := form.Get("Action")
	c.mu.Lock()
	c.calls["sts:"+action]++
	var (
		out  any
		aerr *apiError
	)
	switch action {
	case "GetCallerIdentity":
		out, aerr = c.stsGetCallerIdentityLocked(sig)
	case "AssumeRole":
		out, aerr = c.stsAssumeRoleLocked(sig, form)
	default:
		aerr = &apiError{Status: 400, Code: "InvalidAction", Message: fmt.Sprintf("Could not find operation %s for version 2011-06-15", action)}
	}
	c.mu.Unlock()
	if aerr != nil {
		writeSTSError(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	id := requestID()
	w.Header().Set("X-Amzn-Requestid", id)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(stsResponse(action, out, id))
}

type stsMetadata struct {
	RequestID string `xml:"RequestId"`
}

// stsResponse wraps a result as <ActionResponse><ActionResult>…</ActionResult><ResponseMetadata/>.
func stsResponse(action string, result any, id string) any {
	return struct {
		XMLName  xml.Name
		Xmlns    string `xml:"xmlns,attr"`
		Result   any
		Metadata stsMetadata `xml:"ResponseMetadata"`
	}{XMLName: xml.Name{Local: action + "Response"}, Xmlns: stsNamespace, Result: result, Metadata: stsMetadata{id}}
}

type stsCallerIdentity struct {
	XMLName xml.Name `xml:"GetCallerIdentityResult"`
	Arn     string   `xml:"Arn"`
	UserID  string   `xml:"UserId"`
	Account string   `xml:"Account"`
}

func (c *Cloud) stsGetCallerIdentityLocked(sig signature) (any, *apiError) {
	p, aerr := c.principalLocked(sig)
	if aerr != nil {
		return nil, aerr
	}
	return stsCallerIdentity{Arn: p.arn, UserID: p.userID, Account: p.account}, nil
}

type stsCredentials struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type stsAssumeRoleResult struct {
	XMLName         xml.Name `xml:"AssumeRoleResult"`
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials stsCredentials `xml:"Credentials"`
}

func (c *Cloud) stsAssumeRoleLocked(sig signature, form url.Values) (any, *apiError) {
	caller, aerr := c.principalLocked(sig)
	if aerr != nil {
		return nil, aerr
	}
	roleARN, session := form.Get("RoleArn"), form.Get("RoleSessionName")
	if roleARN == "" || session == "" {
		return nil, &apiError{Status: 400, Code: "ValidationError", Message: "RoleArn and RoleSessionName are required"}
	}
	duration := time.Hour
	if v := form.Get("DurationSeconds"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 900 || n > 43200 {
			return nil, &apiError{Status: 400, Code: "ValidationError", Message: fmt.Sprintf("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200", v)}
		}
		duration = time.Duration(n) * time.Second
	}
	if c.o.SessionDuration > 0 {
		duration = c.o.SessionDuration
	}
	role := c.roles[roleARN]
	denied := &apiError{Status: 403, Code: "AccessDenied",
		Message: fmt.Sprintf("User: %s is not authorized to perform: sts:AssumeRole on resource: %s", caller.arn, roleARN)}
	if role == nil || !role.trusts(caller) || (role.ExternalID != "" && role.ExternalID != form.Get("ExternalId")) {
		return nil, denied
	}
	account, name := roleParts(roleARN)
	c.seq++
	key := fmt.Sprintf("ASIA%016X", c.seq)
	s := &stsSession{account: account, role: name, secret: randomHex(20), token: randomHex(32),
		arn: "arn:aws:sts::" + account + ":assumed-role/" + name + "/" + session,
		// Expiration is written in whole seconds; the session ends then.
		expires: c.o.Now().Add(duration).Truncate(time.Second)}
	c.sessions[key] = s
	c.issued[roleARN]++
	var out stsAssumeRoleResult
	out.AssumedRoleUser.Arn = s.arn
	out.AssumedRoleUser.AssumedRoleID = "AROA" + strings.ToUpper(name) + ":" + session
	out.Credentials = stsCredentials{AccessKeyID: key, SecretAccessKey: s.secret, SessionToken: s.token,
		Expiration: s.expires.UTC().Format(time.RFC3339)}
	return out, nil
}

// trusts reports whether the role's trust policy admits the caller.
func (r *Role) trusts(p principal) bool {
	for _, t := range r.Trust {
		switch {
		case t == p.arn, t == "arn:aws:iam::"+p.account+":root":
			return true
		case strings.Contains(t, ":role/"):
			// A role principal admits every session of that role.
			acct, name := roleParts(t)
			if strings.HasPrefix(p.arn, "arn:aws:sts::"+acct+":assumed-role/"+name+"/") {
				return true
			}
		}
	}
	return false
}

// roleParts splits arn:aws:iam::<account>:role/<path/>name.
func roleParts(arn string) (account, name string) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return "", ""
	}
	name = strings.TrimPrefix(parts[5], "role/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return parts[4], name
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// writeSTSError writes the query protocol's error document.
func writeSTSError(w http.ResponseWriter, e *apiError) {
	id := requestID()
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-Requestid", id)
	status := e.Status
	if status == 0 {
		status = 400
	}
	kind := "Sender"
	if status >= 500 {
		kind = "Receiver"
	}
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Error   struct {
			Type    string `xml:"Type"`
			Code    string `xml:"Code"`
			Message string `xml:"Message"`
		} `xml:"Error"`
		RequestID string `xml:"RequestId"`
	}{Xmlns: stsNamespace, Error: struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}{kind, e.Code, e.Message}, RequestID: id})
}

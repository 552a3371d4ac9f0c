package awssim

import (
	"encoding/base64"
	"fmt"
	"time"
)

// ssmState is the simulated SSM Parameter Store. Guarded by Server.mu.
type ssmState struct {
	params map[string]*ssmParam
}

type ssmParam struct {
	typ, value string
	version    int64
	modified   time.Time
}

func (p *ssmState) init() { p.params = map[string]*ssmParam{} }

// PutParameter stores a parameter (typ String, StringList or
// SecureString), replacing any value it had and raising its version.
func (s *Server) PutParameter(name, typ, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.ssm.params[name]
	if p == nil {
		p = &ssmParam{}
		s.ssm.params[name] = p
	}
	p.typ, p.value, p.modified = typ, value, s.now()
	p.version++
}

func (s *Server) ssmHandler(op string) handler {
	switch op {
	case "GetParameter":
		return s.ssmGetParameter
	}
	return nil
}

func (s *Server) ssmGetParameter(body []byte) (any, *apiError) {
	var in struct {
		Name           string
		WithDecryption bool
	}
	if aerr := decode(body, &in); aerr != nil {
		return nil, aerr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.ssm.params[in.Name]
	if p == nil {
		return nil, &apiError{Status: 400, Code: "ParameterNotFound", Message: fmt.Sprintf("Parameter %s not found.", in.Name)}
	}
	value := p.value
	if p.typ == "SecureString" && !in.WithDecryption {
		// AWS returns the ciphertext; a reader that forgot to decrypt
		// gets something that is not the value.
		value = base64.StdEncoding.EncodeToString([]byte("kms-ciphertext:" + in.Name))
	}
	arn := fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", s.region, s.account, trimSlash(in.Name))
	return map[string]any{"Parameter": map[string]any{
		"Name": in.Name, "Type": p.typ, "Value": value, "Version": p.version, "ARN": arn,
		"DataType": "text", "LastModifiedDate": float64(p.modified.UnixMilli()) / 1000,
	}}, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}

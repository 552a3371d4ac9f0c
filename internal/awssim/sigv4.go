package awssim

import (
	"net/http"
	"strings"
)

// signature is what the simulator reads of a request's SigV4
// Authorization header: who signed it and for which region and service.
// The signature itself is never checked (see the package doc).
type signature struct {
	AccessKey, Region, Service string
	Token                      string // X-Amz-Security-Token, for temporary credentials
}

// signatureOf parses "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ecs/aws4_request, ...".
// A request without one yields the zero signature.
func signatureOf(r *http.Request) signature {
	sig := signature{Token: r.Header.Get("X-Amz-Security-Token")}
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return sig
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 {
		return sig
	}
	sig.AccessKey, sig.Region, sig.Service = parts[0], parts[2], parts[3]
	return sig
}

// signingService is the service a request was signed for ("s3", "sts"...).
func signingService(r *http.Request) string { return signatureOf(r).Service }

// Package awshttp provides the HTTP client the daemon gives aws-sdk-go-v2.
package awshttp

import (
	"io"
	"net/http"

	smithyhttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Client returns the SDK's default transport with one fix.
//
// Why: smithy-go closes the request body as soon as the response headers
// arrive, and its closed body's WriteTo returns io.EOF. net/http, after
// sending a body larger than its 4 KiB write buffer (a DescribeTasks of
// 100 ARNs), calls WriteTo once more to check for extra bytes; when the
// answer beats that call (always possible, near-certain on loopback), the
// EOF counts as a failed write and the transport closes the connection
// under the response being read ("deserialization failed ... use of closed
// network connection"). The SDK's retryer would retry it, but it wastes a
// call and makes call counts lie. Hiding WriterTo makes net/http use Read,
// whose EOF it treats as the end of the body.
func Client() *http.Client {
	base := smithyhttp.NewBuildableClient().GetTransport()
	return &http.Client{Transport: readOnlyBodyTransport{base: base}}
}

type readOnlyBodyTransport struct{ base http.RoundTripper }

func (t readOnlyBodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil && r.Body != http.NoBody {
		// A RoundTripper must not modify the caller's request.
		r = r.Clone(r.Context())
		r.Body = readOnlyBody{r.Body}
	}
	return t.base.RoundTrip(r)
}

// readOnlyBody hides every method of the body but Read and Close.
type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }

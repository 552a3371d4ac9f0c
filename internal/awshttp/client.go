// Package awshttp holds what the daemon changes in aws-sdk-go-v2's HTTP
// client: a fix for a request-body race, and a connection pool sized for
// the event consumer's concurrency.
package awshttp

import (
	"io"
	"net/http"

	sdkhttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Doer is the SDK's HTTP client interface (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Wrap returns c, sending every request body as a plain reader.
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
//
// Wrap a loaded aws.Config's HTTPClient, after the SDK has applied
// AWS_CA_BUNDLE (which it can only apply to its own BuildableClient).
//
// A nil c is the common case, not an edge: config.LoadDefaultConfig sets
// HTTPClient only when it has something to apply to it (AWS_CA_BUNDLE);
// otherwise it leaves it nil and each service client builds the SDK's
// default BuildableClient itself. Wrap builds that same client, so a
// wrapped nil behaves exactly like the SDK left alone.
//
// It also keeps up to maxIdlePerHost idle connections per host instead of
// the SDK's 10: the event consumer handles up to 200 messages at once, and
// each deletes its message when done, so a burst of deletes otherwise
// closes and re-dials (a TLS handshake each, against AWS) all but ten
// connections every time.
func Wrap(c Doer) Doer {
	if c == nil {
		c = sdkhttp.NewBuildableClient()
	}
	if b, ok := c.(*sdkhttp.BuildableClient); ok {
		c = b.WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConns = max(t.MaxIdleConns, maxIdlePerHost)
			t.MaxIdleConnsPerHost = max(t.MaxIdleConnsPerHost, maxIdlePerHost)
		})
	}
	return doerFunc(func(r *http.Request) (*http.Response, error) { return c.Do(hideWriterTo(r)) })
}

// maxIdlePerHost bounds the idle connections kept per AWS endpoint.
const maxIdlePerHost = 100

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// hideWriterTo returns r with a body that offers only Read and Close.
func hideWriterTo(r *http.Request) *http.Request {
	if r.Body == nil || r.Body == http.NoBody {
		return r
	}
	// Callers' requests must not be modified.
	r = r.Clone(r.Context())
	r.Body = readOnlyBody{r.Body}
	return r
}

// readOnlyBody hides every method of the body but Read and Close.
type readOnlyBody struct{ rc io.ReadCloser }

func (b readOnlyBody) Read(p []byte) (int, error) { return b.rc.Read(p) }
func (b readOnlyBody) Close() error               { return b.rc.Close() }

package awshttp

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWrapHidesWriterTo checks the workaround Wrap exists for: the client
// below it must see a body without WriteTo, and the caller's request must
// stay untouched.
func TestWrapHidesWriterTo(t *testing.T) {
	var seen io.Reader
	c := Wrap(doerFunc(func(r *http.Request) (*http.Response, error) {
		seen = r.Body
		b, err := io.ReadAll(r.Body)
		if err != nil || string(b) != "payload" {
			t.Errorf("body read = %q, %v", b, err)
		}
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	}))
	req := httptest.NewRequest("POST", "http://127.0.0.1/", bytes.NewReader([]byte("payload")))
	orig := req.Body
	if _, ok := orig.(io.WriterTo); !ok {
		t.Fatalf("test premise: %T should implement io.WriterTo", orig)
	}
	if _, err := c.Do(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := seen.(io.WriterTo); ok {
		t.Errorf("transport saw a body with WriteTo (%T)", seen)
	}
	if req.Body != orig {
		t.Errorf("caller's request body was replaced")
	}
}

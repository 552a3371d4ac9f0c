package awshttp_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"

	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/awshttp"
	"github.com/ecs-cron-monitor/ecs-cron-monitor/internal/testkit"
)

// loadWrapped loads the SDK's default configuration, as the daemon does,
// and wraps its HTTP client.
func loadWrapped(t *testing.T) (hadClient bool, c awshttp.Doer) {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("ap-northeast-1"))
	if err != nil {
		t.Fatalf("LoadDefaultConfig: %v", err)
	}
	return cfg.HTTPClient != nil, awshttp.Wrap(cfg.HTTPClient)
}

func get(c awshttp.Doer, url string) error {
	req, _ := http.NewRequest("GET", url, strings.NewReader("body"))
	resp, err := c.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	return err
}

// Without AWS_CA_BUNDLE (a Fargate task, a laptop, CI) the SDK leaves
// HTTPClient nil; the wrapped nil must still send requests. This is the
// crash that every test once hid, because this machine sets the bundle.
func TestWrapWithoutCABundle(t *testing.T) {
	testkit.ClearAmbient(t)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer srv.Close()
	had, c := loadWrapped(t)
	if had {
		t.Fatal("test premise: without AWS_CA_BUNDLE the SDK should leave HTTPClient nil")
	}
	if err := get(c, srv.URL); err != nil {
		t.Fatalf("request through the wrapped nil client: %v", err)
	}
}

// With AWS_CA_BUNDLE naming a real CA file the SDK builds a client that
// trusts it; Wrap must keep that client, not replace it.
func TestWrapKeepsCABundleClient(t *testing.T) {
	testkit.ClearAmbient(t)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	ca := testkit.NewCA(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = ca.Server
	srv.StartTLS()
	defer srv.Close()

	_, plain := loadWrapped(t)
	if err := get(plain, srv.URL); err == nil {
		t.Fatal("test premise: the test CA must not be trusted without AWS_CA_BUNDLE")
	}
	t.Setenv("AWS_CA_BUNDLE", ca.BundlePath)
	had, c := loadWrapped(t)
	if !had {
		t.Fatal("test premise: with AWS_CA_BUNDLE the SDK should set HTTPClient")
	}
	if err := get(c, srv.URL); err != nil {
		t.Fatalf("request trusting the CA only through AWS_CA_BUNDLE: %v", err)
	}
}

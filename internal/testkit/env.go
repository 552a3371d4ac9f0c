package testkit

import (
	"os"
	"strings"
	"testing"
)

// ambientVars lists the variables this development machine sets and production
// (a Fargate task, a laptop, a CI runner) lacks, beyond AWS_*: CA bundles
// and proxies. A nil-client crash once hid behind AWS_CA_BUNDLE: every test
// passed here while the daemon panicked everywhere else.
func ambientVars() []string {
	return []string{
		"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
		"http_proxy", "https_proxy", "no_proxy", "all_proxy",
		"SSL_CERT_FILE", "SSL_CERT_DIR",
	}
}

// ClearAmbient unsets, for the rest of the test, every AWS_* variable and
// the CA and proxy variables, so an in-process test that loads AWS
// configuration sees what production sees: only what the test sets.
func ClearAmbient(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") {
			unset(t, k)
		}
	}
	for _, k := range ambientVars() {
		unset(t, k)
	}
}

// unset removes k for the test; t.Setenv registers the restore.
func unset(t testing.TB, k string) {
	t.Setenv(k, "")
	os.Unsetenv(k)
}

// AWSEnv points in-process AWS SDK clients at a simulator endpoint through
// the standard variables only, after ClearAmbient: static test
// credentials, no shared config files, no instance metadata.
func AWSEnv(t testing.TB, endpoint string) {
	t.Helper()
	ClearAmbient(t)
	for _, kv := range SimAWSVars(endpoint) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// SimAWSVars are the AWS variables (KEY=value) that point a process at a
// simulator endpoint and nowhere else.
func SimAWSVars(endpoint string) []string {
	return []string{
		"AWS_ENDPOINT_URL=" + endpoint,
		"AWS_ACCESS_KEY_ID=AKIDTEST",
		"AWS_SECRET_ACCESS_KEY=secret",
		"AWS_EC2_METADATA_DISABLED=true",
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
}

// BareEnv is the whole environment for a binary a test runs: PATH, a fresh
// empty HOME and the variables given (KEY=value), as in a Fargate task.
// Never os.Environ(): whatever this machine sets would hide what
// production lacks.
func BareEnv(t testing.TB, vars ...string) []string {
	t.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	return append(env, vars...)
}

package monitor

import (
	"net/url"
	"strings"
	"testing"
)

// writeConsoleEscaped is the console's double query escape with '%' as '$',
// byte for byte.
func TestConsoleEscapeIsDoubleQueryEscape(t *testing.T) {
	for _, s := range []string{"", "/ecs/billing-batch", "ecs/app/8a1f3c5d", "a b+c%d$e&f=g?h#i",
		"日本語/ログ", "~._-AZaz09", "\x00\x7f\xff", strings.Repeat("/x y", 50)} {
		want := strings.ReplaceAll(url.QueryEscape(url.QueryEscape(s)), "%", "$")
		var b strings.Builder
		writeConsoleEscaped(&b, s)
		if got := b.String(); got != want {
			t.Errorf("escape %q = %q, want %q", s, got, want)
		}
	}
}

func FuzzConsoleEscape(f *testing.F) {
	f.Add("/ecs/billing batch+%")
	f.Fuzz(func(t *testing.T, s string) {
		want := strings.ReplaceAll(url.QueryEscape(url.QueryEscape(s)), "%", "$")
		var b strings.Builder
		writeConsoleEscaped(&b, s)
		if b.String() != want {
			t.Fatalf("escape %q = %q, want %q", s, b.String(), want)
		}
	})
}

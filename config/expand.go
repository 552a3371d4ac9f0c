package config

import (
	"errors"
	"fmt"
	"strings"
)

// expand replaces ${VAR} in a string value with the variable's value from
// lookupEnv; "$${" writes a literal "${". A "$" not followed by "{" is kept
// as is, so ordinary dollar signs need no escaping.
//
// Errors name the variable, never a value: the result of an expansion is
// often a secret, and the caller must not echo it either. changed reports
// whether any variable was substituted.
func expand(s string, lookupEnv func(string) (string, bool)) (out string, changed bool, errs []error) {
	if !strings.Contains(s, "${") {
		return s, false, nil
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		if i > 0 && s[i-1] == '$' {
			// "$${": the first '$' escapes the reference.
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			errs = append(errs, errors.New(`unterminated "${" (write "$${" for a literal "${")`))
			break
		}
		name := s[i+2 : i+end]
		s = s[i+end+1:]
		if !isEnvName(name) {
			// The text is not echoed: a mistyped line may hold a pasted secret.
			errs = append(errs, errors.New(`invalid variable name inside "${...}" (letters, digits and '_', not starting with a digit)`))
			continue
		}
		v, ok := lookupEnv(name)
		if !ok {
			errs = append(errs, unsetVarError(name))
			continue
		}
		b.WriteString(v)
		changed = true
	}
	return b.String(), changed, errs
}

// unsetVarError is a ${VAR} whose variable is not set; it names the
// variable only.
type unsetVarError string

func (e unsetVarError) Error() string {
	return fmt.Sprintf("environment variable %s is not set", string(e))
}

func isEnvName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

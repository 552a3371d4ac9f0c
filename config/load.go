package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"

	"github.com/pelletier/go-toml/v2"
)

// Load reads the file at path and parses it; see Parse. A file that cannot be
// read is reported as a plain wrapped error, not a *Problem.
func Load(path string, lookupEnv func(string) (string, bool), opts ...LoadOption) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config file: %w", err)
	}
	return Parse(path, data, lookupEnv, opts...)
}

// Parse decodes a TOML document strictly, expands ${VAR} in string values
// with lookupEnv, applies defaults and validates the result. name is the
// file name used in problems. With NotifierVarsOptional an unset variable
// in a notifier setting is a note in Config.Unresolved, not a problem.
//
// The error is an errors.Join of *Problem values (see Problems), all of them
// at once, sorted by line; a syntax error is reported alone. With an error
// the Config is nil.
func Parse(name string, data []byte, lookupEnv func(string) (string, bool), opts ...LoadOption) (*Config, error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	if lookupEnv == nil {
		lookupEnv = func(string) (string, bool) { return "", false }
	}
	var tree map[string]any
	if err := toml.Unmarshal(data, &tree); err != nil {
		return nil, syntaxProblem(name, err)
	}

	c := &Config{File: name, pos: scanPositions(data)}
	d := &decoder{cfg: c, lookupEnv: lookupEnv, opts: o}
	d.decodeStruct("", tree, reflect.ValueOf(c).Elem())

	applyDefaults(c, lookupEnv)

	// A key that failed to decode holds a zero value; checking it again
	// would only add noise such as "must be greater than 0".
	failed := map[string]bool{}
	for _, p := range append(d.problems, d.unresolved...) {
		failed[p.Key] = true
	}
	problems := d.problems
	for _, p := range c.validate() {
		if !failed[p.Key] {
			problems.add(p)
		}
	}
	if err := joinProblems(problems); err != nil {
		return nil, err
	}
	sortByPosition(d.unresolved)
	c.Unresolved = d.unresolved
	return c, nil
}

// syntaxProblem turns go-toml's error into a Problem with its position.
func syntaxProblem(name string, err error) error {
	p := &Problem{File: name, Msg: err.Error()}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		p.Line, p.Col = de.Position()
	}
	return errors.Join(p)
}

// Test oracle for src/template: runs each case through Go's own text/template, with a
// function map shaped like the one the reference driver documents (field, substring,
// toUpper, toLower, contains, index, lastIndex; html, js, call and urlquery disabled).
// Reads a JSON array of cases on stdin and writes a JSON array of results on stdout.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/template"
)

type volumeProps struct {
	PVCName      string
	PVCNamespace string
	PVName       string
}

type snapshotProps struct {
	VolumeSnapshotName        string
	VolumeSnapshotNamespace   string
	VolumeSnapshotContentName string
}

type testCase struct {
	Template string            `json:"template"`
	Kind     string            `json:"kind"`
	Fields   map[string]string `json:"fields"`
}

type result struct {
	Output *string `json:"output,omitempty"`
	Error  string `json:"error,omitempty"`
}

func refuse(name string) func(...any) (string, error) {
	return func(...any) (string, error) { return "", fmt.Errorf("cannot call '%s' function", name) }
}

func functions() template.FuncMap {
	return template.FuncMap{
		"html":     refuse("html"),
		"js":       refuse("js"),
		"call":     refuse("call"),
		"urlquery": refuse("urlquery"),
		"contains": func(sub, s string) bool { return strings.Contains(s, sub) },
		"toUpper":  strings.ToUpper,
		"toLower":  strings.ToLower,
		"substring": func(start, end int, s string) string {
			switch {
			case start < 0:
				return s[:end]
			case end < 0 || end > len(s):
				return s[start:]
			default:
				return s[start:end]
			}
		},
		"field": func(sep string, i int, s string) (string, error) {
			words := strings.Split(s, sep)
			if i >= len(words) {
				return "", errors.New("index past the last word")
			}
			return words[i], nil
		},
		"index":     func(sub, s string) int { return strings.Index(s, sub) },
		"lastIndex": func(sub, s string) int { return strings.LastIndex(s, sub) },
	}
}

func run(c testCase) result {
	var data any
	if c.Kind == "snapshot" {
		data = &snapshotProps{c.Fields["VolumeSnapshotName"], c.Fields["VolumeSnapshotNamespace"], c.Fields["VolumeSnapshotContentName"]}
	} else {
		data = &volumeProps{c.Fields["PVCName"], c.Fields["PVCNamespace"], c.Fields["PVName"]}
	}
	t, err := template.New("t").Funcs(functions()).Parse(c.Template)
	if err != nil {
		return result{Error: err.Error()}
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return result{Error: err.Error()}
	}
	output := b.String()
	return result{Output: &output}
}

func main() {
	var cases []testCase
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	results := make([]result, len(cases))
	for i, c := range cases {
		results[i] = run(c)
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
}

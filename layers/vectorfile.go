package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// VectorSchema is the schema of every vector file.
const VectorSchema = "strata.vectors/v1"

// VectorFile is the common shape of a vector file: a list of cases, each
// with its expected outcome, under a schema and layer header.
type VectorFile struct {
	Schema      string          `json:"schema"`
	Layer       string          `json:"layer"`
	Description string          `json:"description"`
	Cases       json.RawMessage `json:"cases"`
}

// VectorSet describes a layer's vector files: how each is generated and
// checked. A layer's GenerateVectors and CheckVector are its Generate and
// Check.
type VectorSet struct {
	Layer string
	Files []VectorFileSpec
}

// VectorFileSpec is one vector file of a set.
type VectorFileSpec struct {
	Name, Description string
	// Generate returns the file's cases (a JSON-encodable slice).
	Generate func() (any, error)
	// Check verifies the cases and returns how many there were; see
	// CheckCases.
	Check func(cases json.RawMessage) (int, error)
}

// CheckCases returns a VectorFileSpec.Check that decodes the cases strictly
// (unknown fields are errors) and runs check on each, stopping at the
// first failure, which it names by index.
func CheckCases[C any](check func(C) error) func(json.RawMessage) (int, error) {
	return func(raw json.RawMessage) (int, error) {
		var cases []C
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cases); err != nil {
			return 0, err
		}
		for i, c := range cases {
			if err := check(c); err != nil {
				return 0, fmt.Errorf("case %d: %w", i, err)
			}
		}
		return len(cases), nil
	}
}

// Generate computes every file of the set, keyed by name, as indented JSON.
func (s VectorSet) Generate() (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, f := range s.Files {
		cases, err := f.Generate()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		raw, err := json.Marshal(cases)
		if err != nil {
			return nil, err
		}
		b, err := json.MarshalIndent(VectorFile{Schema: VectorSchema, Layer: s.Layer, Description: f.Description, Cases: raw}, "", "  ")
		if err != nil {
			return nil, err
		}
		out[f.Name] = append(b, '\n')
	}
	return out, nil
}

// Check verifies one file of the set: the header, and every case.
func (s VectorSet) Check(name string, data []byte) error {
	var vf VectorFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vf); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if vf.Schema != VectorSchema || vf.Layer != s.Layer {
		return fmt.Errorf("%s: schema %q layer %q, want %q and %q", name, vf.Schema, vf.Layer, VectorSchema, s.Layer)
	}
	for _, f := range s.Files {
		if f.Name != name {
			continue
		}
		n, err := f.Check(vf.Cases)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if n == 0 {
			return fmt.Errorf("%s: no cases", name)
		}
		return nil
	}
	return fmt.Errorf("%s: no checker for this file", name)
}

// ExpectValid is the expectation of a case that must succeed.
const ExpectValid = "valid"

// NamedError is a sentinel error and the name vector files give it.
type NamedError struct {
	Name string
	Err  error
}

// ErrorNames lists a layer's sentinel errors, most specific first.
type ErrorNames []NamedError

// Name returns ExpectValid for a nil error, the name of the first sentinel
// err wraps, or "unclassified: " and the error's text, which never matches
// an expectation.
func (n ErrorNames) Name(err error) string {
	if err == nil {
		return ExpectValid
	}
	for _, e := range n {
		if errors.Is(err, e.Err) {
			return e.Name
		}
	}
	return "unclassified: " + err.Error()
}

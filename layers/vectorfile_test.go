package layers

import (
	"errors"
	"strings"
	"testing"
)

type testCase struct {
	Name   string `json:"name"`
	Expect string `json:"expect"`
}

func testSet() VectorSet {
	return VectorSet{Layer: "demo", Files: []VectorFileSpec{{
		Name: "cases.json", Description: "demo",
		Generate: func() (any, error) { return []testCase{{"a", "valid"}, {"b", "valid"}}, nil },
		Check: CheckCases(func(c testCase) error {
			if c.Expect != "valid" {
				return errors.New("not valid")
			}
			return nil
		}),
	}}}
}

func TestVectorSet(t *testing.T) {
	s := testSet()
	gen, err := s.Generate()
	if err != nil {
		t.Fatal(err)
	}
	b := gen["cases.json"]
	if err := s.Check("cases.json", b); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"wrong layer":   strings.Replace(string(b), `"demo"`, `"other"`, 1),
		"failing case":  strings.Replace(string(b), `"valid"`, `"ErrX"`, 1),
		"unknown field": strings.Replace(string(b), `"name"`, `"nom"`, 1),
		"no cases":      `{"schema":"strata.vectors/v1","layer":"demo","description":"","cases":[]}`,
	} {
		if err := s.Check("cases.json", []byte(bad)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if err := s.Check("other.json", b); err == nil {
		t.Error("a file without a checker was accepted")
	}
}

package reconcile

import (
	"errors"
	"strings"
	"testing"
)

func TestParamsValidate(t *testing.T) {
	def := DefaultParams()
	with := func(f func(*Params)) Params { p := def; f(&p); return p }
	tests := []struct {
		name  string
		p     Params
		field string // "" if valid
	}{
		{"default", def, ""},
		{"smallest", Params{Branch: 2, IDListThreshold: 1, MaxRanges: 4, MaxIDs: 1}, ""},
		{"largest branch", with(func(p *Params) { p.Branch = 256 }), ""},
		{"MaxRanges=Branch+2", with(func(p *Params) { p.MaxRanges = 18 }), ""},
		{"threshold=MaxIDs", with(func(p *Params) { p.IDListThreshold = p.MaxIDs }), ""},
		{"zero", Params{}, "Params.Branch"},
		{"branch 1", with(func(p *Params) { p.Branch = 1 }), "Params.Branch"},
		{"branch 257", with(func(p *Params) { p.Branch = 257 }), "Params.Branch"},
		{"branch negative", with(func(p *Params) { p.Branch = -16 }), "Params.Branch"},
		{"threshold 0", with(func(p *Params) { p.IDListThreshold = 0 }), "Params.IDListThreshold"},
		{"threshold > MaxIDs", with(func(p *Params) { p.IDListThreshold = p.MaxIDs + 1 }), "Params.IDListThreshold"},
		{"MaxIDs 0", with(func(p *Params) { p.MaxIDs = 0 }), "Params.MaxIDs"},
		{"MaxRanges=Branch+1", with(func(p *Params) { p.MaxRanges = 17 }), "Params.MaxRanges"},
		{"MaxRanges negative", with(func(p *Params) { p.MaxRanges = -1 }), "Params.MaxRanges"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.p.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("Validate(%+v) = %v, want nil", tc.p, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("Validate(%+v) = %v, want ErrInvalidParams", tc.p, err)
			}
			if !strings.Contains(err.Error(), tc.field) {
				t.Errorf("error %q does not name %s", err, tc.field)
			}
		})
	}
}

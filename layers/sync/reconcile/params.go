package reconcile

import (
	"errors"
	"fmt"
)

// ErrInvalidParams: a Params value is out of range (see Params.Validate).
var ErrInvalidParams = errors.New("reconcile: invalid params")

// Bounds of Params.Branch.
const (
	// MinBranch is the smallest branch factor: a split must make progress.
	MinBranch = 2
	// MaxBranch is the largest branch factor.
	MaxBranch = 256
)

// Params are the tuning knobs and limits of one reconciliation session.
// Both parties must use limits at least as large as the rounds the other
// sends; Branch and IDListThreshold only shape what a party sends.
type Params struct {
	// Branch is the number of sub-ranges a range is split into when its
	// fingerprints differ and it holds more than IDListThreshold items.
	Branch int
	// IDListThreshold is the largest number of own items in a range that
	// is answered with an ID_LIST instead of a split.
	IDListThreshold int
	// MaxRanges is the largest number of ranges in a Round, sent or
	// accepted.
	MaxRanges int
	// MaxIDs is the largest total number of short ids in a Round, sent or
	// accepted.
	MaxIDs int
}

// DefaultParams returns the specification's parameters: a 16-way split,
// ID lists of up to 16 items, and rounds of at most 8192 ranges and 16384
// short ids.
func DefaultParams() Params {
	return Params{Branch: 16, IDListThreshold: 16, MaxRanges: 8192, MaxIDs: 16384}
}

// Validate reports whether p is usable. The returned error wraps
// ErrInvalidParams and names the first field out of range:
// Branch must be in [MinBranch, MaxBranch], IDListThreshold in [1, MaxIDs]
// and MaxRanges at least Branch+2, so that a round always has room for the
// split of one range, a merged SKIP before it and a FINGERPRINT range after
// it (which is what guarantees progress under the frame budget).
func (p Params) Validate() error {
	switch {
	case p.Branch < MinBranch || p.Branch > MaxBranch:
		return paramError("Branch is %d, must be in [%d,%d]", p.Branch, MinBranch, MaxBranch)
	case p.MaxIDs < 1:
		return paramError("MaxIDs is %d, must be at least 1", p.MaxIDs)
	case p.IDListThreshold < 1 || p.IDListThreshold > p.MaxIDs:
		return paramError("IDListThreshold is %d, must be in [1,%d] (MaxIDs)", p.IDListThreshold, p.MaxIDs)
	case p.MaxRanges < p.Branch+2:
		return paramError("MaxRanges is %d, must be at least %d (Branch+2)", p.MaxRanges, p.Branch+2)
	}
	return nil
}

// invalidParamsError is the error Params.Validate returns; its text names
// the field, and it unwraps to ErrInvalidParams.
type invalidParamsError struct{ msg string }

func (e *invalidParamsError) Error() string { return "reconcile: Params." + e.msg }
func (e *invalidParamsError) Unwrap() error { return ErrInvalidParams }

func paramError(format string, args ...any) error {
	return &invalidParamsError{msg: fmt.Sprintf(format, args...)}
}

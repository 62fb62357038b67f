package trafficanalysis

import (
	"cmp"
	"slices"
)

// Round is one observation window of the statistical disclosure attack:
// how many packets the target client sent on its access link (real and
// cover alike: they look the same) and how many messages each recipient
// received.
type Round struct {
	Target   int
	Received []int
}

// SDA is the statistical disclosure attack (Danezis; Mathewson and
// Dingledine) in its covariance form: recipients whose receipts rise in
// the rounds where the target sends more are its likely contacts. With no
// cover traffic the target's activity is exactly its real messages; cover
// traffic adds activity that predicts nothing and so dilutes the signal.
type SDA struct {
	t       int
	sumA    float64
	sumO    []float64
	sumAO   []float64
	recipts int
}

// NewSDA starts an attack over recipients recipients.
func NewSDA(recipients int) *SDA {
	return &SDA{sumO: make([]float64, recipients), sumAO: make([]float64, recipients), recipts: recipients}
}

// Add folds in one round; receipts beyond the recipient count are ignored.
func (s *SDA) Add(r Round) {
	s.t++
	a := float64(r.Target)
	s.sumA += a
	for j, o := range r.Received {
		if j >= s.recipts {
			break
		}
		s.sumO[j] += float64(o)
		s.sumAO[j] += a * float64(o)
	}
}

// Rank returns the recipients, most likely contact first: by decreasing
// covariance between the target's activity and their receipts, ties by
// index.
func (s *SDA) Rank() []int {
	cov := make([]float64, s.recipts)
	if s.t > 0 {
		t := float64(s.t)
		for j := range cov {
			cov[j] = s.sumAO[j]/t - (s.sumA/t)*(s.sumO[j]/t)
		}
	}
	idx := make([]int, s.recipts)
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(cov[b], cov[a]) })
	return idx
}

// Identified reports whether the top len(contacts) of Rank are exactly
// contacts.
func (s *SDA) Identified(contacts []int) bool {
	top := s.Rank()[:len(contacts)]
	for _, c := range contacts {
		if !slices.Contains(top, c) {
			return false
		}
	}
	return true
}

// RoundsToIdentify runs the attack over rounds and returns the number of
// rounds after which the contacts are identified and stay identified for
// every later round, or -1 if they are not identified at the end.
func RoundsToIdentify(rounds []Round, recipients int, contacts []int) int {
	s := NewSDA(recipients)
	since := -1
	for i, r := range rounds {
		s.Add(r)
		switch ok := s.Identified(contacts); {
		case ok && since < 0:
			since = i + 1
		case !ok:
			since = -1
		}
	}
	return since
}

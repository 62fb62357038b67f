package mixsim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestChiSquareSF checks the survival function against tabulated
// critical values (chi-square tables: the 0.05 and 0.01 upper points).
func TestChiSquareSF(t *testing.T) {
	for _, tc := range []struct {
		x    float64
		k    int
		want float64
	}{{3.841, 1, 0.05}, {5.991, 2, 0.05}, {11.070, 5, 0.05}, {23.209, 10, 0.01}, {37.566, 20, 0.01}, {0, 3, 1}} {
		if got := ChiSquareSF(tc.x, tc.k); math.Abs(got-tc.want) > 2e-4 {
			t.Errorf("SF(%v, %d) = %v, want %v", tc.x, tc.k, got, tc.want)
		}
	}
}

// TestChiSquarePoisson: Poisson samples pass at their mean and fail at a
// mean 30% off.
func TestChiSquarePoisson(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, m := range []float64{0.5, 3, 20} {
		s := make([]int, 2000)
		for i := range s {
			// Knuth's method.
			l, k, p := math.Exp(-m), 0, 1.0
			for {
				p *= r.Float64()
				if p <= l {
					break
				}
				k++
			}
			s[i] = k
		}
		if g := ChiSquarePoisson(s, m); g.P < 0.001 || g.Bins < 2 {
			t.Errorf("mean %v: %+v rejects true Poisson samples", m, g)
		}
		if g := ChiSquarePoisson(s, m*1.3); g.P > 0.001 {
			t.Errorf("mean %v: %+v accepts a wrong mean", m, g)
		}
	}
}

func TestEntropyAcc(t *testing.T) {
	// A pool that always holds exactly one fresh packet has entropy 0;
	// a pool of n all arrived since the last output has log2 n.
	var e entropyAcc
	e.arrivals = 1
	e.output(1, true)
	if e.h != 0 {
		t.Errorf("single packet: %v", e.h)
	}
	var f entropyAcc
	f.arrivals = 8
	f.output(8, true)
	if math.Abs(f.h-3) > 1e-12 {
		t.Errorf("8 fresh packets: %v", f.h)
	}
}

package mixsim

import (
	"math"
)

// GoF is a chi-square goodness-of-fit test of pool samples against a
// Poisson distribution.
type GoF struct {
	Mean    float64 // the Poisson mean tested (λ/μ)
	Samples int
	Bins    int
	DoF     int
	Stat    float64
	P       float64
}

// poissonPMF is the Poisson probability of k at mean m.
func poissonPMF(k int, m float64) float64 {
	if m <= 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	lg, _ := math.Lgamma(float64(k + 1))
	return math.Exp(float64(k)*math.Log(m) - m - lg)
}

// ChiSquarePoisson tests samples against Poisson(mean). Bins are formed
// from 0 upwards, each closed once its expected count reaches 5; the last
// bin is open-ended (≥ k) and merged into the previous one if its expected
// count is below 5. One degree of freedom is taken off for the mean,
// which is estimated from the same run (the arrival rate), so the p-value
// is conservative.
func ChiSquarePoisson(samples []int, mean float64) GoF {
	g := GoF{Mean: mean, Samples: len(samples)}
	n := float64(len(samples))
	if n == 0 || mean <= 0 {
		return g
	}
	maxK := 0
	for _, s := range samples {
		maxK = max(maxK, s)
	}
	counts := make([]float64, maxK+1)
	for _, s := range samples {
		counts[s]++
	}
	type bin struct{ obs, exp float64 }
	var bins []bin
	cur := bin{}
	cum := 0.0
	for k := 0; ; k++ {
		p := poissonPMF(k, mean)
		if k <= maxK {
			cur.obs += counts[k]
		}
		cur.exp += n * p
		cum += p
		rest := n * (1 - cum)
		if cur.exp >= 5 && rest >= 5 {
			bins = append(bins, cur)
			cur = bin{}
			continue
		}
		if rest < 5 && k >= maxK {
			// Open-ended last bin: everything above k.
			for j := k + 1; j <= maxK; j++ {
				cur.obs += counts[j]
			}
			cur.exp += rest
			if cur.exp < 5 && len(bins) > 0 {
				bins[len(bins)-1].obs += cur.obs
				bins[len(bins)-1].exp += cur.exp
			} else {
				bins = append(bins, cur)
			}
			break
		}
		if k > maxK+10000 {
			break
		}
	}
	g.Bins = len(bins)
	for _, b := range bins {
		if b.exp > 0 {
			g.Stat += (b.obs - b.exp) * (b.obs - b.exp) / b.exp
		}
	}
	g.DoF = g.Bins - 2
	if g.DoF < 1 {
		g.DoF = 1
	}
	g.P = ChiSquareSF(g.Stat, g.DoF)
	return g
}

// ChiSquareSF is the survival function of the chi-square distribution
// with k degrees of freedom: Q(k/2, x/2), the regularized upper
// incomplete gamma function.
func ChiSquareSF(x float64, k int) float64 {
	if x <= 0 {
		return 1
	}
	return gammaQ(float64(k)/2, x/2)
}

// gammaQ is the regularized upper incomplete gamma function Q(a, x),
// by its power series below x = a+1 and Lentz's continued fraction above.
func gammaQ(a, x float64) float64 {
	lga, _ := math.Lgamma(a)
	pre := math.Exp(a*math.Log(x) - x - lga)
	if x < a+1 {
		sum, term := 1/a, 1/a
		for n := 1; n < 1000; n++ {
			term *= x / (a + float64(n))
			sum += term
			if math.Abs(term) < math.Abs(sum)*1e-15 {
				break
			}
		}
		return math.Max(0, 1-pre*sum)
	}
	const tiny = 1e-300
	b := x + 1 - a
	c := 1 / tiny
	d := 1 / b
	h := d
	for i := 1; i < 1000; i++ {
		an := -float64(i) * (float64(i) - a)
		b += 2
		d = an*d + b
		if math.Abs(d) < tiny {
			d = tiny
		}
		c = b + an/c
		if math.Abs(c) < tiny {
			c = tiny
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < 1e-15 {
			break
		}
	}
	return math.Min(1, pre*h)
}

// EntropyBound is log2(λ/μ) − 1, the per-mix entropy goal.
func EntropyBound(pool float64) float64 { return math.Log2(pool) - 1 }

func meanInts(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0
	for _, x := range xs {
		s += x
	}
	return float64(s) / float64(len(xs))
}

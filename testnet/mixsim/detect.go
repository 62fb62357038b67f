package mixsim

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/strata-lab/strata/layers/mixnet/loopix"
	"github.com/strata-lab/strata/reports/result"
)

// DetectStudy runs n−1 (flush) adversaries that drop a fraction of the
// packets entering one mix, and a run without attack under 1% loss per
// link, and measures the mix's loop-based detector: time to the first
// alarm, and false alarms.
func DetectStudy(ctx context.Context, opts StudyOptions) (*result.Result, error) {
	started := time.Now()
	attackAt, attackRun, quiet := 60*time.Second, 300*time.Second, time.Hour
	if opts.Quick {
		attackRun, quiet = 180*time.Second, 15*time.Minute
	}
	base := DefaultConfig()
	base.Seed = uint64(opts.Seed)
	base.Clients, base.Loss, base.MsgRate = 50, 0.01, 0
	base.Warmup, base.Drain = 0, 0
	victim := base.MixesPerLayer + base.MixesPerLayer/2 // a mix of layer 2
	fractions := []float64{0.5, 0.9}
	var jobs []job
	for _, f := range fractions {
		c := base
		c.Duration = attackRun
		c.Attack = &Flush{Mix: victim, Fraction: f, From: attackAt}
		jobs = append(jobs, job{label: fmt.Sprintf("flush %.0f%% of the inputs of mix %d", 100*f, victim), cfg: c})
	}
	q := base
	q.Duration = quiet
	jobs = append(jobs, job{label: "no attack, 1% loss per link", cfg: q})
	outs, _, err := runAll(ctx, jobs, opts)
	if err != nil {
		return nil, err
	}
	det := loopix.DefaultDetector()
	r := result.New(result.KindScenario, "mixnet", "mixnet/detect", opts.Seed, started)
	lm := base.Params.LambdaM.PerSecond()
	loopLinks := base.Layers + 1
	qLoop := math.Pow(1-base.Loss, float64(loopLinks))
	nWin := int(lm * det.Window.Seconds())
	pCheck := loopix.FalseAlarmProbability(nWin, qLoop, det.Threshold)
	perHour := pCheck * float64(time.Hour/det.Every)
	r.Params = map[string]any{"clients": base.Clients, "lambda_m": lm, "window": det.Window.String(), "threshold": det.Threshold,
		"min_loops": det.MinLoops, "check_every": det.Every.String(), "budget": det.Budget.String(), "link_loss": base.Loss,
		"attack_from": attackAt.String(), "victim_layer": 2, "quiet_run": quiet.String(),
		"false_alarm_model": fmt.Sprintf("P(Binomial(%d, %.4f) < %.2f·%d) per check, %d links per loop", nWin, qLoop, det.Threshold, nWin, loopLinks),
		"format":            formatNote, "trace_hashes": traceHashes(jobs, outs), "quick": opts.Quick}
	for i, f := range fractions {
		o := outs[i]
		lb := map[string]string{"flush_fraction": fmtF(f)}
		v := o.Mixes[victim]
		delay := -1.0
		if v.FirstAlarm >= 0 {
			delay = (v.FirstAlarm - attackAt).Seconds()
		}
		others := 0
		for k, m := range o.Mixes {
			if k != victim && m.Alarms > 0 {
				others++
			}
		}
		r.Add("detection_delay", "s", delay, lb)
		r.Add("victim_alarms", "alarms", float64(v.Alarms), lb)
		r.Add("other_mixes_alarmed", "mixes", float64(others), lb)
		r.Add("victim_loop_return", "ratio", ratioU(v.LoopsBack, v.LoopsSent), lb)
		r.Goals = append(r.Goals,
			result.Goal{Metric: "detection_delay", Labels: lb, Op: result.OpLE, Target: 60,
				Anchor: "detect an n−1 attack blocking ≥ 50% of a mix's inputs within 60 s (prior-art target)"},
			result.Goal{Metric: "detection_delay", Labels: lb, Op: result.OpGE, Target: 0,
				Anchor: "the alarm comes after the attack begins (and comes at all)"})
	}
	o := outs[len(outs)-1]
	alarms, checks := 0, 0
	for _, m := range o.Mixes {
		alarms += m.Alarms
		checks += m.Checks
	}
	mixHours := quiet.Hours() * float64(len(o.Mixes))
	lb := map[string]string{"loss": fmtF(base.Loss)}
	r.Add("false_alarms_per_mix_hour", "alarms/h", float64(alarms)/mixHours, lb)
	r.Add("detector_checks", "checks", float64(checks), lb)
	r.Add("false_alarm_model_per_hour", "alarms/h", perHour, lb)
	r.Add("false_alarm_model_per_check", "p", pCheck, lb)
	r.Goals = append(r.Goals,
		result.Goal{Metric: "false_alarms_per_mix_hour", Labels: lb, Op: result.OpLE, Target: 0,
			Anchor: "no false alarm without an attack under 1% loss per link (measured)"},
		result.Goal{Metric: "false_alarm_model_per_hour", Labels: lb, Op: result.OpLT, Target: 0.01,
			Anchor: "< 1% per hour false alarms (prior-art target), binomial model of the detector"})
	r.Command = fmt.Sprintf("strata sim mixnet --study detect --seed %d%s", opts.Seed, quickFlag(opts.Quick))
	r.Finished = time.Now()
	_ = r.Evaluate()
	return r, nil
}

func ratioU(a, b uint64) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

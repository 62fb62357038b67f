package session

import (
	"context"
	"testing"

	"github.com/strata-lab/strata/attacks"
)

// TestAttacksRejected runs every attack in quick mode: each must make
// attempts, have none accepted, and classify every rejection.
func TestAttacksRejected(t *testing.T) {
	for _, a := range All() {
		t.Run(a.Layer+"/"+a.Name, func(t *testing.T) {
			r, err := a.Execute(context.Background(), attacks.Options{Seed: 1, Quick: true})
			if err != nil {
				t.Fatal(err)
			}
			if !r.GoalsMet() {
				t.Fatalf("goal missed: %+v", r.Goals)
			}
			for _, m := range r.Metrics {
				if m.Name == "rejected" && (m.Labels["reason"] == "unclassified" || m.Labels["reason"] == "no-result") {
					t.Fatalf("%v attempts stopped without a classified error", m.Value)
				}
			}
		})
	}
}

// TestAttackDetectsAcceptance makes sure the counting can fail: an attack
// whose run accepts everything misses its goal.
func TestAttackDetectsAcceptance(t *testing.T) {
	a := attacks.Attack{Group: "session", Layer: "trust", Name: "always", Property: "test", Anchor: "test",
		Run: func(context.Context, attacks.Options) (*attacks.Outcome, error) {
			return &attacks.Outcome{Attempts: 3, Accepted: 3}, nil
		}}
	r, err := a.Execute(context.Background(), attacks.Options{Seed: 1, Quick: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.GoalsMet() {
		t.Fatal("an attack with accepted attempts met its goal")
	}
}

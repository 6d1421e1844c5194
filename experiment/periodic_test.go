package experiment

import (
	"context"
	"testing"
)

// The low-noise preset is periodic, and its period agrees with the
// entry–exit prediction within z·SE + the bound of one step of jump
// duration resolution … checked loosely here only for structure: ≥ 10
// cycles in 1500 steps with κ₋ > 2 > κ₊.
func TestPeriodicCycles(t *testing.T) {
	p, err := RunPeriodic(context.Background(), PeriodicPreset(1e-8, 1, 1500))
	if err != nil {
		t.Fatal(err)
	}
	per, km, kp, jump, n, err := p.PeriodStats()
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 || !(km[0] > 2) || !(kp[0] < 2) {
		t.Fatalf("n = %d cycles, κ₋ = %v, κ₊ = %v", n, km, kp)
	}
	k, kc, pred, naive, err := PeriodicPrediction(p.Config, kp[0], jump[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("period %.2f ± %.2f (pred %.2f, naive %.2f); κ₋ %.3f ± %.3f (pred %.3f, continuous %.3f); κ₊ %.3f ± %.3f; jump %.2f ± %.2f; %d cycles",
		per[0], per[1], pred, naive, km[0], km[1], k, kc, kp[0], kp[1], jump[0], jump[1], n)
}

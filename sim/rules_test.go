package sim

import (
	"math"
	"testing"
)

// walkSteps is the reference: the Cursor walked over every step.
func walkSteps(eta, lambda float64, events []Event, steps int) bool {
	cur := NewCursor(eta, lambda, events)
	for n := 0; n <= steps; n++ {
		cur.Advance(n)
		if !(cur.Eta > 0) || math.IsInf(cur.Eta, 0) || cur.Lambda*cur.Eta >= 1 {
			return false
		}
	}
	return true
}

// CheckScheduleSteps agrees with a walk over every step (away from the
// boundary, where pmath.Pow and repeated multiplication may round apart),
// and takes O(#events) time: steps = 10¹⁵ returns at once (it looped for
// ever before; go test's timeout is the guard).
func TestCheckScheduleSteps(t *testing.T) {
	cases := []struct {
		eta, lambda float64
		ev          []Event
		steps       int
	}{
		{0.1, 0.01, []Event{{Step: 5, LRExp: 1.01}}, 200},                            // grows: ok
		{0.1, 0.01, []Event{{Step: 5, LRExp: 1.1}}, 200},                             // λη crosses 1 mid-segment
		{0.1, 0.01, []Event{{Step: 5, LRExp: 0.5}}, 2000},                            // η underflows to 0
		{0.1, 0.01, []Event{{Step: 0, LRExp: 1.05}, {Step: 50, LRDivide: 100}}, 150}, // decay rescues… too late
		{0.1, 0.01, []Event{{Step: 0, LRExp: 1.05}, {Step: 40, LRDivide: 100}}, 150}, // in time
		{0.1, 0.01, []Event{{Step: 10, LRExp: 1.2}, {Step: 20, LRExp: 1}}, 1000},     // stops growing
		{0.1, 0.01, []Event{{Step: 10, LRExp: 1.2}, {Step: 30, LRExp: 1}}, 1000},     // too far
		{0.1, 0.01, []Event{{Step: 10, LRExp: 1.2}, {Step: 12, SetLambda: true, Lambda: 20}}, 100},
	}
	for i, c := range cases {
		got := CheckScheduleSteps(c.eta, c.lambda, c.ev, c.steps) == nil
		if want := walkSteps(c.eta, c.lambda, c.ev, c.steps); got != want {
			t.Errorf("case %d: CheckScheduleSteps ok = %v, the step-by-step walk says %v", i, got, want)
		}
	}
	if err := CheckScheduleSteps(0.1, 0.001, []Event{{Step: 1, LRExp: 1}}, 1e15); err != nil {
		t.Errorf("γ = 1 for 10¹⁵ steps: %v", err)
	}
	if err := CheckScheduleSteps(0.1, 0.001, []Event{{Step: 1, LRExp: 1.0001}}, 1e15); err == nil {
		t.Error("γ = 1.0001 for 10¹⁵ steps: want λη ≥ 1 reported")
	}
}

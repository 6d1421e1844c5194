package measure

import (
	"math"
	"slices"
	"testing"
)

// The measurement figure draws the rows' data: per scale-invariant tensor
// its AU, ‖w‖ and η/‖w‖² at the Span-1 steps, the theory after (on top of)
// the data, and every tensor's max |ratio − 1| against ε_SI.
func TestPanelsData(t *testing.T) {
	nan := math.NaN()
	res := &Result{
		Run: &Run{Config: Config{SITol: 0.1}},
		Tensors: []TensorResult{
			{Name: "w1", SI: true, SIRatioMaxDev: 1e-5},
			{Name: "b1", SI: false, SIRatioMaxDev: 3},
			{Name: "w2", SI: true, SIRatioMaxDev: 2e-3},
		},
		Rows: []Row{
			{Step: 0, Span: 1, Tensor: 0, AU: 0.02, Norm: 5, EffLR: 0.004, AUTheory: 0.03},
			{Step: 0, Span: 1, Tensor: 1, AU: 0.5, Norm: 1, EffLR: 0.1, AUTheory: nan},
			{Step: 0, Span: 1, Tensor: 2, AU: 0.01, Norm: 7, EffLR: 0.002, AUTheory: 0.03},
			{Step: 1, Span: 1, Tensor: 0, AU: 0.025, Norm: 4.9, EffLR: 0.0042, AUTheory: 0.03},
			{Step: 1, Span: 2, Tensor: 0, AU: 0.05, Norm: 4.9, EffLR: 0.0042, AUTheory: nan},
			{Step: 1, Span: 1, Tensor: 2, AU: 0.012, Norm: 6.9, EffLR: 0.0021, AUTheory: 0.03},
		},
	}
	rows := res.panels()
	au, norm, eff, si := rows[0][0], rows[0][1], rows[1][0], rows[1][1]
	if len(au.Curves) != 3 || au.Curves[0].Label != "w1" || au.Curves[1].Label != "w2" || !au.Curves[2].Theory {
		t.Fatalf("AU panel: %+v", au.Curves)
	}
	for i, want := range [][4][]float64{
		{{0, 1}, {0.02, 0.025}, {5, 4.9}, {0.004, 0.0042}},
		{{0, 1}, {0.01, 0.012}, {7, 6.9}, {0.002, 0.0021}},
	} {
		if !slices.Equal(au.Curves[i].X, want[0]) || !slices.Equal(au.Curves[i].Y, want[1]) || !slices.Equal(norm.Curves[i].Y, want[2]) || !slices.Equal(eff.Curves[i].Y, want[3]) {
			t.Errorf("tensor %d: AU %v %v, norm %v, η/‖w‖² %v; want %v", i, au.Curves[i].X, au.Curves[i].Y, norm.Curves[i].Y, eff.Curves[i].Y, want)
		}
	}
	if !slices.Equal(au.Curves[2].Y, []float64{0.03, 0.03}) {
		t.Errorf("theory %v", au.Curves[2].Y)
	}
	if len(si.Curves) != 3 || !slices.Equal(si.Curves[0].X, []float64{0, 2}) || !slices.Equal(si.Curves[0].Y, []float64{1e-5, 2e-3}) ||
		!slices.Equal(si.Curves[1].Y, []float64{3}) || !slices.Equal(si.Curves[2].Y, []float64{0.1, 0.1}) {
		t.Errorf("scale-invariance panel: %+v", si.Curves)
	}
}

package train

import (
	"slices"
	"testing"
)

// Figure 3 of a run draws its rows: train loss and test accuracy per epoch
// with ± 1 SE bands, the mean AU per measured step (x in epochs) with the
// theory after (on top of) it, and the layer mean of ‖w‖.
func TestFigure3Data(t *testing.T) {
	res := &Result{StepsPerEpoch: 10,
		Epochs: []EpochRow{
			{Epoch: 1, TrainLoss: 1.2, TrainLossSE: 0.1, TestAcc: 0.7, TestAccSE: 0.01},
			{Epoch: 2, TrainLoss: 0.8, TrainLossSE: 0.05, TestAcc: 0.8, TestAccSE: 0.02},
		},
		Measures: []MeasureRow{
			{Step: 0, AUTheory: 0.04, Norm: []float64{2, 4}, MeanAU: 0.02, MeanAUSE: 0.001},
			{Step: 15, AUTheory: 0.04, Norm: []float64{1, 3}, MeanAU: 0.03, MeanAUSE: 0.002},
		},
	}
	rows := figure3(res, false)
	var hi, lo []float64 // y ± SE, as float64 arithmetic gives them
	for _, e := range res.Epochs {
		hi, lo = append(hi, e.TrainLoss+e.TrainLossSE), append(lo, e.TrainLoss-e.TrainLossSE)
	}
	loss, acc, au, norm := rows[0][0], rows[0][1], rows[1][0], rows[1][1]
	if band, l := loss.Curves[0], loss.Curves[1]; !slices.Equal(l.X, []float64{1, 2}) || !slices.Equal(l.Y, []float64{1.2, 0.8}) ||
		!slices.Equal(band.Y, hi) || !slices.Equal(band.Lo, lo) {
		t.Errorf("train loss: %+v", loss.Curves)
	}
	if !slices.Equal(acc.Curves[1].Y, []float64{0.7, 0.8}) {
		t.Errorf("test accuracy %v", acc.Curves[1].Y)
	}
	if d, th := au.Curves[1], au.Curves[2]; !slices.Equal(d.X, []float64{0, 1.5}) || !slices.Equal(d.Y, []float64{0.02, 0.03}) || !th.Theory || !slices.Equal(th.Y, []float64{0.04, 0.04}) {
		t.Errorf("AU: %+v", au.Curves)
	}
	if !slices.Equal(norm.Curves[1].Y, []float64{3, 2}) {
		t.Errorf("norm %v", norm.Curves[1].Y)
	}
}

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"

	"github.com/smdlab/smd/nrq"
	"github.com/smdlab/smd/sim"
	"github.com/smdlab/smd/theory"
)

func main() {
	p, _ := strconv.Atoi(os.Args[1])
	eta, _ := strconv.ParseFloat(os.Args[2], 64)
	lambda, _ := strconv.ParseFloat(os.Args[3], 64)
	opt := os.Args[4]
	b1, _ := strconv.ParseFloat(os.Args[5], 64)
	b2, _ := strconv.ParseFloat(os.Args[6], 64)
	steps, _ := strconv.Atoi(os.Args[7])
	trials, _ := strconv.Atoi(os.Args[8])
	a := make([]float64, p)
	for i := range a {
		a[i] = 1
	}
	m, _ := nrq.NewDiagonal(nrq.NRQ, a, nrq.Noise{Sigma: 1})
	c := &sim.Config{Model: m, Eta: eta, Lambda: lambda, Init: sim.Init{Std: 1}, Steps: steps, Trials: trials, RecordEvery: steps / 10, Seed: 1, Xi: 0.5}
	o := theory.Optimizer{Name: opt}
	switch opt {
	case "sgd":
		c.Momentum = b1
		o.Momentum = b1
	default:
		c.Optimizer, c.Beta1, c.Beta2 = opt, b1, b2
		o.Beta1, o.Beta2 = b1, b2
		if opt == "adamw" {
			c.Eps = 1e-8
		}
	}
	res, err := sim.Full{}.Run(context.Background(), c)
	if err != nil {
		panic(err)
	}
	au, _ := theory.EquilibriumAU(o, eta, lambda)
	n2, _ := theory.EquilibriumNormSq(o, eta, lambda, p, float64(p-1))
	tau, _ := theory.EquilibriumTime(o, eta, lambda)
	fmt.Printf("pred AU %.6g  N2 %.6g  tau %.0f\n", au, n2, tau)
	if opt == "lion" {
		x, _ := theory.LionEquilibriumAUArcsin(b1, b2, eta, lambda)
		_, d := theory.LionDiffusion(b1, b2)
		fmt.Printf("arcsin AU %.6g N2 %.6g\n", x, eta*float64(p)*d/(2*lambda))
	}
	for _, r := range res.Rows {
		fmt.Printf("%6d AURMS %.6g ± %.2g (%.4f)  N2 %.6g ± %.2g (%.4f)\n", r.Step, r.AURMS, r.AURMSSE, r.AURMS/au-1, r.NormSq, r.NormSqSE, r.NormSq/n2-1)
	}
	_ = math.Pi
}

func init() {
	if len(os.Args) > 9 {
		p, _ := strconv.Atoi(os.Args[1])
		eta, _ := strconv.ParseFloat(os.Args[2], 64)
		lambda, _ := strconv.ParseFloat(os.Args[3], 64)
		o := theory.Optimizer{Name: os.Args[4]}
		o.Beta1, _ = strconv.ParseFloat(os.Args[5], 64)
		o.Beta2, _ = strconv.ParseFloat(os.Args[6], 64)
		if o.Name == "sgd" {
			o.Momentum, o.Beta1, o.Beta2 = o.Beta1, 0, 0
		}
		a, _ := theory.DiscreteEquilibriumAU(o, eta, lambda, p, float64(p-1))
		n, _ := theory.DiscreteEquilibriumNormSq(o, eta, lambda, p, float64(p-1))
		fmt.Printf("discrete AU %.6g N2 %.6g\n", a, n)
	}
}

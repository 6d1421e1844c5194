package repro

import (
	"bytes"
	"context"
	"fmt"
	stdcolor "image/color"
	"io"
	"math"

	"github.com/smdlab/smd/experiment"
	"github.com/smdlab/smd/plot"
	"github.com/smdlab/smd/theory"
)

// buildFig1 builds Figure 1: (a) the simulated spherical motion, (b) the
// landscape.
func buildFig1(ctx context.Context, _ Options, _ func(int64)) (*Figure, []Run, error) {
	sp, err := experiment.Fig1Sphere(ctx)
	if err != nil {
		return nil, nil, err
	}
	a := spherePanel(sp)
	a.PW = 8.1              // the square sphere and its legend beside it (about 2.8 in)
	a.Plot.Span = 7.5 / 5.9 // the combined figure: (a) with its legend, (b) with its colour bar
	land := experiment.NewLandscape(160, 2)
	b := &Panel{
		Stem: "fig1b", Label: "(b)",
		Claim: "Normalization and weight decay together distort the loss landscape: F(x, y) = (x² + 2y²)/(x² + y²) + (x² + y²) is non-convex, discontinuous at the origin and has no minimiser (its infimum 1 is approached only as x → 0 along y = 0), so the convexity and Lipschitz assumptions of standard analyses fail.",
		Plot: &plot.Panel{
			Title: "(b) (x² + 2y²)/(x² + y²) + (x² + y²)", XLabel: "x", YLabel: "y",
			Heat: land, Contours: []float64{1.25, 1.5, 1.75, 2, 2.5, 3, 4, 5, 6, 7, 8}, ColorBar: "F(x, y)",
			XMin: -2, XMax: 2, YMin: -2, YMax: 2,
		},
	}
	lo, hi := land.Min(), land.Max()
	b.Measured = []string{
		fmt.Sprintf("grid 160 × 160 on [−2, 2]²: F ranges over [%.3f, %.3f] (colour bar: dark low, bright high); white contours at F = %v, marked on the colour bar", lo, hi, b.Plot.Contours),
		"along y = 0, F = 1 + x² → 1 as x → 0; along x = 0, F = 2 + y² → 2: the limit at the origin depends on the direction, and the level sets F < 2 are two lobes pinched at 0",
	}
	b.WriteCSV = func(w io.Writer) error {
		var buf bytes.Buffer
		buf.WriteString("x,y,f\n")
		c, r := land.Dims()
		for j := range r {
			for i := range c {
				fmt.Fprintf(&buf, "%s,%s,%s\n", ff(land.X(i)), ff(land.Y(j)), ff(land.Z(i, j)))
			}
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	return &Figure{
		Name: "fig1", Title: "Figure 1: spherical motion and the distorted landscape",
		Caption: "(a) A simulated trajectory of SGD with weight decay (eq 3) on a p = 3 NRQ, projected orthographically; light to dark is early to late. The gradient is orthogonal to X (eq 6), so the norm settles where the outward push of the gradient step balances weight decay, and X keeps moving on that sphere. (b) The loss landscape of a Rayleigh quotient with l² regularisation.",
		Rows:    [][]*Panel{{a, b}}, W: 13.6, H: 5.2, PW: 5.9, PH: 5.2,
	}, nil, nil
}

// spherePanel draws the p = 3 trajectory on its equilibrium sphere.
func spherePanel(sp *experiment.Sphere) *Panel {
	const az, el = 0.6, 0.35 // view: azimuth about e₃, elevation (radians)
	proj := func(x [3]float64) (u, v, depth float64) {
		ca, sa, ce, se := math.Cos(az), math.Sin(az), math.Cos(el), math.Sin(el)
		u = -sa*x[0] + ca*x[1]
		v = -se*ca*x[0] - se*sa*x[1] + ce*x[2]
		depth = ce*ca*x[0] + ce*sa*x[1] + se*x[2]
		return
	}
	R := sp.Radius
	p := &plot.Panel{Title: "(a) spherical motion, p = 3", XLabel: "projected coordinate", YLabel: "projected coordinate",
		XMin: -1.25 * R, XMax: 1.25 * R, YMin: -1.25 * R, YMax: 1.25 * R, Equal: true, LegendBeside: true}
	var ss []Series
	gray := plot.Colors[6]
	// Sphere outline and three great circles, the far halves dashed.
	var outline Series
	outline.Name, outline.Kind = "equilibrium sphere outline", "theory"
	for k := 0; k <= 200; k++ {
		t := 2 * math.Pi * float64(k) / 200
		outline.X = append(outline.X, R*math.Cos(t))
		outline.Y = append(outline.Y, R*math.Sin(t))
	}
	p.Curves = append(p.Curves, plot.Curve{Label: "equilibrium sphere ‖X‖ = R (far side dashed)", X: outline.X, Y: outline.Y, RGB: gray, Width: 1.2, Theory: true})
	for gc := range 3 {
		var front, back plot.Curve
		flush := func(c *plot.Curve, dash int) {
			if len(c.X) > 1 {
				c.RGB, c.Dash, c.Width, c.Theory = gray, dash, 0.6, true
				p.Curves = append(p.Curves, *c)
			}
			*c = plot.Curve{}
		}
		for k := 0; k <= 360; k++ {
			t := 2 * math.Pi * float64(k) / 360
			var x [3]float64
			switch gc {
			case 0:
				x = [3]float64{R * math.Cos(t), R * math.Sin(t), 0}
			case 1:
				x = [3]float64{R * math.Cos(t), 0, R * math.Sin(t)}
			case 2:
				x = [3]float64{0, R * math.Cos(t), R * math.Sin(t)}
			}
			u, v, d := proj(x)
			if d >= 0 {
				flush(&back, plot.Dashed)
				front.X, front.Y = append(front.X, u), append(front.Y, v)
			} else {
				flush(&front, plot.Solid)
				back.X, back.Y = append(back.X, u), append(back.Y, v)
			}
		}
		flush(&front, plot.Solid)
		flush(&back, plot.Dashed)
	}
	// Trajectory in chunks, light to dark blue.
	traj := Series{Name: "trajectory X_n", Kind: "sim"}
	for _, x := range sp.X {
		u, v, _ := proj(x)
		traj.X, traj.Y = append(traj.X, u), append(traj.Y, v)
	}
	const chunks = 10
	n := len(traj.X)
	for k := range chunks {
		i0, i1 := k*(n-1)/chunks, (k+1)*(n-1)/chunks+1
		f := float64(k) / (chunks - 1)
		c := plot.Curve{X: traj.X[i0:i1], Y: traj.Y[i0:i1], Width: 1.1,
			RGB: rgb(0.62-0.55*f, 0.78-0.5*f, 0.95-0.3*f)}
		if k == chunks-1 {
			c.Label = "trajectory X_n (light → dark: later)"
		}
		p.Curves = append(p.Curves, c)
	}
	u0, v0, _ := proj(sp.X[0])
	p.Curves = append(p.Curves, plot.Curve{X: []float64{u0}, Y: []float64{v0}, Marker: true, Color: 2, Label: "start X₀"})
	var mx, my []float64
	for _, s := range []float64{1, -1} {
		u, v, _ := proj([3]float64{s * R, 0, 0})
		mx, my = append(mx, u), append(my, v)
	}
	p.Curves = append(p.Curves, plot.Curve{X: mx, Y: my, Marker: true, Color: 1, Label: "minimisers ±R·e₁ of the risk on the sphere"})
	ss = append(ss, traj, outline)
	// Measured: the norm over the last half against the radius; mean AU.
	var norm, au float64
	half := len(sp.X) / 2
	for i := half; i < len(sp.X); i++ {
		norm += math.Sqrt(dot3(sp.X[i], sp.X[i]))
		if i+1 < len(sp.X) {
			au += angle3(sp.X[i], sp.X[i+1])
		}
	}
	norm /= float64(len(sp.X) - half)
	au /= float64(len(sp.X) - half - 1)
	f0 := sp.X[0][0] * sp.X[0][0] / dot3(sp.X[0], sp.X[0])
	last := sp.X[len(sp.X)-1]
	fN := last[0] * last[0] / dot3(last, last)
	po := &Panel{
		Stem: "fig1a", Label: "(a)", Plot: p, Series: ss,
		Claim: "Spherical motion dynamics: with a scale-invariant loss and weight decay the weight norm converges to an equilibrium sphere while the weight keeps rotating on it with angular update √(2λη) per step.",
		Measured: []string{
			fmt.Sprintf("one trajectory, A = diag(1, 2, 3), σ = %g, η = %g, λ = %g, %d steps from ‖X₀‖ = R/3", sp.Sigma, sp.Eta, sp.Lambda, len(sp.X)-1),
			fmt.Sprintf("mean ‖X_n‖ over the second half %.3f, equilibrium radius R = (η(p−1)σ²/(2λ))^{1/4} = %.3f", norm, R),
			fmt.Sprintf("mean angular update over the second half %.4f rad per step against c₃·√(2λη) = %.4f (√(2λη) = %.4f is the RMS; the mean of a χ₂-distributed angle is c₃ = %.3f times it, theory.MeanAUFactor; one trajectory, so no SE)",
				au, theory.MeanAUFactor(3)*math.Sqrt(2*sp.Lambda*sp.Eta), math.Sqrt(2*sp.Lambda*sp.Eta), theory.MeanAUFactor(3)),
			fmt.Sprintf("alignment f = (X̃⁽¹⁾)² from %.2f to %.2f (green dot: start; red dots: the minimisers ±R e₁)", f0, fN),
		},
	}
	po.WriteCSV = func(w io.Writer) error {
		var buf bytes.Buffer
		buf.WriteString("step,x1,x2,x3,norm,u,v\n")
		for i, x := range sp.X {
			fmt.Fprintf(&buf, "%d,%s,%s,%s,%s,%s,%s\n", i, ff(x[0]), ff(x[1]), ff(x[2]), ff(math.Sqrt(dot3(x, x))), ff(traj.X[i]), ff(traj.Y[i]))
		}
		_, err := w.Write(buf.Bytes())
		return err
	}
	return po
}

func dot3(a, b [3]float64) float64 { return a[0]*b[0] + a[1]*b[1] + a[2]*b[2] }

func angle3(a, b [3]float64) float64 {
	c := dot3(a, b) / math.Sqrt(dot3(a, a)*dot3(b, b))
	return math.Acos(math.Max(-1, math.Min(1, c)))
}

func rgb(r, g, b float64) stdcolor.RGBA {
	cl := func(x float64) uint8 { return uint8(math.Round(255 * math.Max(0, math.Min(1, x)))) }
	return stdcolor.RGBA{R: cl(r), G: cl(g), B: cl(b), A: 255}
}

package claim_test

import (
	"fmt"

	"github.com/smdlab/smd/claim"
)

// A limit measured over a window of an ensemble (mean ± SE) against a
// closed form with a documented discretisation bound; an escape dip claimed
// present; a dip claimed absent; two curves from independent seeds that
// should coincide. The panel's verdict is the worst of its claims.
func Example() {
	lim := claim.Agree("limiting risk", claim.Estimate{Mean: 0.0512, SE: 0.0008}, 0.0509, 0.0006, claim.Z)
	fmt.Println(lim)

	final := claim.Estimate{Mean: 0.081, SE: 0.001}
	minimum := claim.Estimate{Mean: 0.049, SE: 0.001}
	// The minimum and the final value come from the same run: SEs add.
	dip := claim.Effect("dip below the final risk", claim.Sub(final, minimum, claim.Correlated), 0, claim.ZFor(150))
	fmt.Println(dip)
	flat := claim.NoEffect("dip with rescale", claim.Estimate{Mean: 0.001, SE: 0.001}, 0, claim.ZFor(150))
	fmt.Println(flat)

	a := []claim.Estimate{{0.50, 0.01}, {0.20, 0.01}, {0.10, 0.005}}
	b := []claim.Estimate{{0.51, 0.01}, {0.21, 0.01}, {0.09, 0.005}}
	eq, at := claim.Curves("equal-λη curves differ by", a, b, 0, claim.Independent)
	fmt.Println(eq, "worst at", at)

	fmt.Println("panel:", claim.All(lim.Verdict, dip.Verdict, flat.Verdict, eq.Verdict))
	// Output:
	// limiting risk 0.05120 ± 0.00080 vs 0.0509: |Δ| = 0.0003, z·SE + bound = 0.0041 (z = 4.42): supported
	// dip below the final risk 0.0320 ± 0.0020, detected if > z·SE + bound = 0.011 (z = 5.40): detected true: supported
	// dip with rescale 0.0010 ± 0.0010, detected if > z·SE + bound = 0.0054 (z = 5.40): detected false: supported
	// equal-λη curves differ by 0.0100 ± 0.0071 vs 0: |Δ| = 0.01, z·SE + bound = 0.033 (z = 4.65): supported worst at 2
	// panel: supported
}

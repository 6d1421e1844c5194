// Package theory implements the closed-form results of the NRQ paper
// ("How normalization and weight decay can affect SGD? Insights from a simple
// normalized model", anonymous authors, paper under double-blind review), one
// function per result.
//
// Every function names the paper's equation it implements. Where the printed
// formula disagrees with a derivation from the model itself (eqs 3–4 and the
// SDE of eq 9), the corrected form is the plain name and the printed form is
// kept beside it with a Paper prefix (Kappa and PaperKappa, StationaryRisk and
// PaperStationaryRisk, …), so that the difference stays visible. The
// derivations and the errata table are in docs/derivations.md.
//
// Conventions. Time t counts SGD steps (eq 9 extracts η from dt). The weight
// norm appears in two forms: Norm = ‖X‖ and NormSq = ‖X‖². The paper's M_t
// (eqs 10–12, 16, 17, Lemma 1) is ‖X‖², not ‖X‖ as the sentence after eq 9
// says: only then are eqs 10–12, 17 and Lemma 1 consistent with eq 9 (see
// docs/derivations.md §2). Arguments named M in this package are ‖X‖².
// The loss L is that of eq 1, with its ½: L = X̃ᵀAX̃/2. The alignment is
// f = (X̃⁽¹⁾)² and the risk r = 1 − E f.
//
// Results and functions (corrected; Paper… beside each where the print differs):
//
//	eqs 11–12, 17   NormSq, NormSqLimit, NormLimit (PaperNormLimit); Path (schedules,
//	                rescale) with Path.NormSq, Path.Norm, Path.AU; NewSchedule
//	eq 3 (discrete) DiscreteNormSqNext, DiscreteNormSqLimit, DiscreteNormLimit,
//	                DiscreteNormSqPath
//	Lemma 1         AU, AULimit
//	eqs 13–14       DiscreteAUTan2 (PaperDiscreteAU2), DiscreteAUTan2Limit,
//	                DiscreteAU2Limit, MeanLogCosAU, NormFromAngles, MeanAUFactor
//	after eq 15     LossBounds (PaperLossBounds)
//	eq 16           FDrift, FDriftTwoLevel (PaperFDrift), FDiffusion; angle form
//	                ThetaDrift, ThetaDiffusion
//	eqs 18–21       Rates (PaperRates), RiskBounds, RiskBoundsFunc (PaperRiskBounds)
//	eqs 22–24       EquilibriumRates, LimitingRiskBounds, EquilibriumRiskBounds
//	                (PaperEquilibriumRates, PaperLimitingRiskBounds)
//	eqs 25–27       Kappa (PaperKappa), KappaAt, StationaryRisk (PaperStationaryRisk),
//	                StationaryRiskLeading, StationaryTail (PaperStationaryTail),
//	                StationaryDensity, StationaryLoss, StationaryGrad2; by (p, κ):
//	                StationaryRiskKappa, StationaryMomentsKappa, StationaryTailKappa,
//	                LogStationaryDensityKappa, StationaryRiskAsymptotic
//	Corollary 2     EscapeThreshold (PaperEscapeThreshold), Escapes
//	Corollary 3     Corollary3, Corollary3Schedule
//
// Beyond the paper (docs/derivations.md §10–13): Optimizer; REQ's EquilibriumAU,
// EquilibriumNormSq, EquilibriumNorm, EquilibriumTime (Kosson et al. 2024) beside
// the discrete forms DiscreteEquilibriumAU, DiscreteEquilibriumNormSq; Lion's
// LionDiffusion, LionEquilibriumAUArcsin; NQMMoments (Zhang et al. 2019 with λ, μ);
// the periodic regime's EntryExitKappa, EntryExitSteps, PeriodicDecaySteps
// (Lobacheva et al. 2021).
//
// Assumptions 1 and 2 of the paper hold throughout: A = diag(a₁ ≤ … ≤ a_p)
// with a₁ simple (a₁ < a₂), and Σ̃ = σ²I, so Tr(PΣ̃P) = (p − 1)σ².
package theory

#!/usr/bin/env bash
# bench/sol.sh: smd's `full` engine against a C speed-of-light and NumPy.
#
# Builds smd, and ../shared/bench/nrq_sol.c when gcc is present (the C
# reference: AVX2 xoshiro256++ in 8 lanes, the same ziggurat tables as
# internal/rng, 4 trials in lock-step) and bench/scalar_sol.c (the same
# algorithm as smd's portable build, scalar C for baseline x86-64: what any
# scalar code reaches here), then runs the same NRQ update
# (diagonal A: a1 = 1 once, a2 = 2 p-1 times; sigma = 1, eta = 0.1,
# lambda = 1e-3; X0 near equilibrium) for p = 10, 100, 1000, 10000 with
# 100 trials on THREADS threads: smd `simulate --workers T`,
# `OMP_NUM_THREADS=T nrq_sol sim4`, and (one thread, only with T = 1)
# scalar_sol and bench/numpy_nrq.py. Runs are interleaved (every engine once per round,
# ROUNDS rounds) and the best round counts; the rate is coordinate-updates
# (trials·steps·p) per CPU second of the whole process (user + sys), so a
# loaded machine inflates it less than wall time would.
#
# Usage: bench/sol.sh                      # markdown table on stdout
#   ROUNDS=5 UPDATES=5e8 THREADS="1 2" PS="10 100" bench/sol.sh
# UPDATES is the work per smd/C run (coordinate updates, default 2.5e8;
# NumPy gets a fifth of it). Progress goes to stderr.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
UPDATES=${UPDATES:-2.5e8}
THREADS=${THREADS:-1}
PS=${PS:-10 100 1000 10000}
TRIALS=100
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

log() { echo "sol.sh: $*" >&2; }

(cd "$root" && go build -o "$tmp/smd" ./cmd/smd)
csrc="$root/../shared/bench/nrq_sol.c"
have_c=0
if command -v gcc >/dev/null && [ -f "$csrc" ]; then
	gcc -O3 -march=native -fopenmp -DNOGATHER -o "$tmp/nrq_sol" "$csrc" -lm
	have_c=1
else
	log "no gcc or no $csrc: the C column is skipped"
fi
have_cs=0
if command -v gcc >/dev/null; then
	# The scalar yardstick: the same algorithm as smd's portable build, for the
	# baseline x86-64 (SSE2, no FMA, no vectorization), one generator.
	gcc -O3 -march=x86-64 -fno-tree-vectorize -o "$tmp/scalar_sol" "$root/bench/scalar_sol.c" -lm
	have_cs=1
fi
py=""
for c in /usr/bin/python3 python3; do
	if command -v "$c" >/dev/null && "$c" -c 'import numpy' 2>/dev/null; then py=$c; break; fi
done
[ -n "$py" ] || log "no python3 with numpy (Debian: python3-numpy): the NumPy column is skipped"

# cpu CMD...: run CMD, print its user+sys CPU seconds (stdout of CMD to $tmp/out).
cpu() {
	local TIMEFORMAT='%U %S'
	{ time "$@" >"$tmp/out" 2>"$tmp/err"; } 2>"$tmp/time" || { cat "$tmp/err" >&2; return 1; }
	awk '{print $1 + $2}' "$tmp/time"
}
steps_for() { awk -v u="$UPDATES" -v p="$1" -v t="$TRIALS" -v f="${2:-1}" 'BEGIN{s=int(u*f/(p*t)); if (s<2) s=2; print s}'; }
json() { sed -n "s/.*\"$1\": *\([0-9.e+-]*\).*/\1/p" "$tmp/out"; }
best() { # best KEY VALUE: keep the maximum rate per key
	local k=$1 v=$2
	if [ -z "${B[$k]:-}" ] || awk -v a="$v" -v b="${B[$k]}" 'BEGIN{exit !(a > b)}'; then B[$k]=$v; fi
}
declare -A B

for round in $(seq "$ROUNDS"); do
	for T in $THREADS; do
		for p in $PS; do
			s=$(steps_for "$p")
			std=$(awk -v p="$p" 'BEGIN{printf "%.17g", sqrt(sqrt((p-1)*0.1/(2e-3))/p)}')
			cat >"$tmp/c.yaml" <<-YAML
				model: nrq
				spectrum: [1, 2]
				multiplicity: [1, $((p - 1))]
				sigma: 1.0
				eta: 0.1
				lambda: 0.001
				init: {std: $std}
				steps: $((s - 1))
				record_every: $((s - 1))
				trials: $TRIALS
				seed: 1
				method: full
			YAML
			# smd runs s steps: steps-1 recorded ones plus the final update.
			log "round $round, $T thread(s), p = $p, $s steps"
			c=$(cpu "$tmp/smd" simulate --config "$tmp/c.yaml" --workers "$T" --out "$tmp/o")
			best "smd $T $p" "$(awk -v c="$c" -v n="$((TRIALS * s * p))" 'BEGIN{print n/c}')"
			if [ $have_c = 1 ]; then
				c=$(OMP_NUM_THREADS=$T cpu "$tmp/nrq_sol" sim4 "$p" "$TRIALS" "$s")
				best "C $T $p" "$(awk -v c="$c" -v n="$((TRIALS * s * p))" 'BEGIN{print n/c}')"
			fi
			if [ $have_cs = 1 ] && [ "$T" = 1 ]; then
				c=$(cpu "$tmp/scalar_sol" "$p" "$TRIALS" "$s")
				best "Cs $T $p" "$(awk -v c="$c" -v n="$((TRIALS * s * p))" 'BEGIN{print n/c}')"
			fi
			if [ -n "$py" ] && [ "$T" = 1 ]; then
				sn=$(steps_for "$p" 0.2)
				c=$(OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 cpu "$py" "$root/bench/numpy_nrq.py" "$p" "$TRIALS" "$sn")
				best "numpy $T $p" "$(awk -v c="$c" -v n="$((TRIALS * sn * p))" 'BEGIN{print n/c}')"
			fi
		done
	done
done

fmt() { awk -v v="${1:-}" 'BEGIN{if (v=="") print "–"; else printf "%.3g", v/1e6}'; }
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN{if (a=="" || b=="") print "–"; else printf "%.2f", a/b}'; }
echo "| threads | p | smd (10⁶ cu/CPU-s) | C sim4 | C scalar | NumPy | smd/C | C scalar/C | smd/C scalar | smd/NumPy |"
echo "|---|---|---|---|---|---|---|---|---|---|"
for T in $THREADS; do
	for p in $PS; do
		echo "| $T | $p | $(fmt "${B[smd $T $p]:-}") | $(fmt "${B[C $T $p]:-}") | $(fmt "${B[Cs $T $p]:-}") | $(fmt "${B[numpy $T $p]:-}") | $(ratio "${B[smd $T $p]:-}" "${B[C $T $p]:-}") | $(ratio "${B[Cs $T $p]:-}" "${B[C $T $p]:-}") | $(ratio "${B[smd $T $p]:-}" "${B[Cs $T $p]:-}") | $(ratio "${B[smd $T $p]:-}" "${B[numpy $T $p]:-}") |"
	done
done
echo
echo "cu = coordinate updates (trials·steps·p); best of $ROUNDS interleaved rounds, user+sys CPU seconds of each process; $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end; $(go version | cut -d' ' -f3); $(gcc --version 2>/dev/null | head -1)."

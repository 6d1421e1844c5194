#!/usr/bin/env bash
# Scale of `smd sweep` (README "Sweeps" → Scale): CPU time (user + system)
# of a 50-point sweep of reduced runs (1000 trials × 2·10⁴ steps, p = 100)
# against `smd simulate` of one such point, run before and after it in the
# same session; and max RSS of 100- and 1000-point sweeps of small points.
#   bench/sweep-scale.sh [SMD]      (default: smd on PATH)
set -euo pipefail
S=${1:-smd}
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT; cd "$d"
base='{spectrum: [1, 2], multiplicity: [1, 99], sigma: 1, eta: 0.1, lambda: 0.001, init: {std: 0.84}, method: reduced'
echo "${base}, steps: 20000, trials: 1000}" > point.yaml
printf 'base: %s, steps: 20000, trials: 1000}\ngrid: {lambda: [0.001, 0.0012, 0.0014, 0.0016, 0.0018, 0.002, 0.0022, 0.0024, 0.0026, 0.0028]}\nseeds: 5\n' "$base" > s50.yaml
lam=$(python3 -c 'print(", ".join(str(round(0.001+1e-5*i, 6)) for i in range(100)))')
printf 'base: %s, steps: 2000, trials: 100}\ngrid: {lambda: [%s]}\nseeds: 10\n' "$base" "$lam" > s1000.yaml
lam=$(python3 -c 'print(", ".join(str(round(0.001+1e-5*i, 6)) for i in range(10)))')
printf 'base: %s, steps: 2000, trials: 100}\ngrid: {lambda: [%s]}\nseeds: 10\n' "$base" "$lam" > s100.yaml
t() { /usr/bin/time -f "$1 user=%U sys=%S wall=%e maxrss_kb=%M" "${@:2}" 2>&1 >/dev/null | grep -E "^$1 "; }
for r in 1 2; do t simulate-point $S simulate --config point.yaml --out sim$r --workers 2; done
t sweep50 $S sweep run --config s50.yaml --out o50 --workers 2
for r in 3 4; do t simulate-point $S simulate --config point.yaml --out sim$r --workers 2; done
t sweep100-small $S sweep run --config s100.yaml --out o100 --workers 2
t sweep1000-small $S sweep run --config s1000.yaml --out o1000 --workers 2

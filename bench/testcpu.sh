#!/usr/bin/env bash
# testcpu.sh — CPU-seconds of `go test ./...`'s test binaries, this checkout against an
# earlier revision, measured in one run (issue 14 item 7; house rule: compare as ratios).
#
#   bench/testcpu.sh [REV] [ROUNDS]     REV defaults to b72d3a0 (the tree issue 14 was filed on)
#
# For each tree it builds every package's test binary (`go test -c`), runs each one alone in
# its package folder (`-test.count=1`) under /usr/bin/time, and sums user+sys CPU; rounds
# alternate old, new, old, new. Then it prints the costliest tests of each tree, each test
# run alone, and the new tree restricted to the old tree's test names (the same claims).
# The go command's own time (about 2-4 CPU-s, `go test -count=1 -run '^$' ./...`) is not in
# these sums. Needs git and GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
rev=${1:-b72d3a0}
rounds=${2:-2}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/old" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach "$work/old" "$rev" >/dev/null 2>&1
mod=$(go list -m)

build() { # tree bindir
	(cd "$1" && for p in $(go list ./...); do
		rel=${p#"$mod"}; rel=${rel#/}; [ -n "$rel" ] || continue
		go test -c -o "$2/${rel//\//_}.test" "$p" 2>&1 | grep -v 'no test files' || true
	done)
}
cpu() { # tree bindir binname [run-regexp] -> user+sys seconds
	local rel=${3//_//} out
	out=$(cd "$1/$rel" && { /usr/bin/time -f '%U %S' "$2/$3.test" -test.count=1 ${4:+-test.run "$4"} >/dev/null 2>"$work/err" || true; tail -n1 "$work/err"; })
	awk '{printf "%.2f", $1+$2}' <<<"$out"
}
suite() { # tree bindir -> total
	local s=0 f
	for f in "$2"/*.test; do s=$(awk -v a="$s" -v b="$(cpu "$1" "$2" "$(basename "$f" .test)")" 'BEGIN{print a+b}'); done
	echo "$s"
}
names() { # bindir binname -> top-level test names
	"$1/$2.test" -test.list '.*' 2>/dev/null | grep '^Test\|^Example\|^Fuzz' || true
}
top() { # tree bindir
	local f n t
	for f in "$2"/*.test; do
		n=$(basename "$f" .test)
		for t in $(names "$2" "$n"); do echo "$(cpu "$1" "$2" "$n" "^$t\$") ${n//_//}.$t"; done
	done | sort -rn | head -12
}

mkdir -p "$work/binold" "$work/binnew"
echo "== building test binaries: $rev and $(git rev-parse --short HEAD)"
build "$work/old" "$work/binold"
build "$PWD" "$work/binnew"
for r in $(seq "$rounds"); do
	echo "round $r: old $(suite "$work/old" "$work/binold") CPU-s, new $(suite "$PWD" "$work/binnew") CPU-s"
done
same=0
for f in "$work"/binold/*.test; do
	n=$(basename "$f" .test)
	[ -x "$work/binnew/$n.test" ] || continue
	re=$(names "$work/binold" "$n" | paste -sd'|')
	[ -n "$re" ] || continue
	same=$(awk -v a="$same" -v b="$(cpu "$PWD" "$work/binnew" "$n" "^($re)\$")" 'BEGIN{print a+b}')
done
echo "new tree, only the old tree's test names: $same CPU-s"
echo "== costliest tests, each alone: $rev"; top "$work/old" "$work/binold"
echo "== costliest tests, each alone: $(git rev-parse --short HEAD)"; top "$PWD" "$work/binnew"

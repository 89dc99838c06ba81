#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a given time each, one after
# another, at the lowest CPU priority (nice 19), and reports per target the
# executions, the corpus size and any crash.
#
#   scripts/fuzz.sh [SECONDS]
#
#   SECONDS / FUZZ_SECONDS  time per target (default 600)
#   FUZZ_TARGETS="a b"      targets to run (default: all, `cargo fuzz list`)
#   FUZZ_TIMEOUT            libFuzzer -timeout, seconds per input (default 60)
#   FUZZ_RSS_MB             libFuzzer -rss_limit_mb (default 2048)
#   FUZZ_LOG_DIR            where each run's log goes (default fuzz/target/fuzz-logs)
#
# Corpora live in fuzz/corpus/<target>/ (not committed), seeded before a
# target's first run by fuzz/seed.py from fuzz/seeds/, the tests' rule
# files and token-shaped material that the fuzz lib expands from the rules'
# templates at seed time; minimised crashes in fuzz/seeds/regressions/ are
# added before every run. Crashes go to fuzz/artifacts/<target>/.
#
# Exits 1 when a target crashed (or timed out, or ran out of memory), 2
# when the tools are missing or the build fails.

set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fuzz="$root/fuzz"
seconds="${1:-${FUZZ_SECONDS:-600}}"
timeout="${FUZZ_TIMEOUT:-60}"
rss_mb="${FUZZ_RSS_MB:-2048}"
log_dir="${FUZZ_LOG_DIR:-$fuzz/target/fuzz-logs}"

if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
    echo "fuzz.sh: the time per target must be a whole number of seconds, not '$seconds'" >&2
    exit 2
fi

# The lowest priority for everything below, builds included.
nice_cmd=(nice -n 19)

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz.sh: no nightly Rust toolchain (cargo-fuzz needs one)." >&2
    echo "         Install it with: rustup toolchain install nightly" >&2
    exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz.sh: cargo-fuzz is missing; installing it (cargo install cargo-fuzz --locked)" >&2
    "${nice_cmd[@]}" cargo install cargo-fuzz --locked
fi
if ! command -v python3 >/dev/null 2>&1; then
    echo "fuzz.sh: python3 is needed to seed the corpora (fuzz/seed.py)" >&2
    exit 2
fi

cd "$fuzz"

if [ -n "${FUZZ_TARGETS:-}" ]; then
    read -r -a targets <<<"$FUZZ_TARGETS"
else
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz.sh: no fuzz targets" >&2
    exit 2
fi

# libFuzzer's -max_len per target: rule files and archives need room.
max_len() {
    case "$1" in
        archive) echo 65536 ;;
        rules | hook) echo 8192 ;;
        *) echo 4096 ;;
    esac
}

echo "== building ${#targets[*]} fuzz target(s) (nice 19)"
for t in "${targets[@]}"; do
    if ! "${nice_cmd[@]}" cargo +nightly fuzz build "$t"; then
        echo "fuzz.sh: building fuzz target '$t' failed" >&2
        exit 2
    fi
done

# The fuzz lib's material, dumped once by running a target on one input.
triple="$(rustc +nightly -vV | sed -n 's/^host: //p')"
bin_dir="$fuzz/target/$triple/release"
material="$fuzz/target/fuzz-material"
if [ ! -d "$material" ] || [ -z "$(ls -A "$material")" ]; then
    rm -rf "$material"
    empty="$(mktemp)"
    printf '\376\000' >"$empty"
    SECRETSCAN_FUZZ_DUMP_MATERIAL="$material" "$bin_dir/oracle" "$empty" >/dev/null 2>&1 || {
        rm -f "$empty"
        echo "fuzz.sh: could not dump the seed material with $bin_dir/oracle" >&2
        exit 2
    }
    rm -f "$empty"
fi

mkdir -p "$log_dir"
summary=()
crashed=0
for t in "${targets[@]}"; do
    corpus="$fuzz/corpus/$t"
    artifacts="$fuzz/artifacts/$t"
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
        printf '== seeding %s: ' "$t"
        python3 "$fuzz/seed.py" "$t" "$corpus" "$material"
    fi
    mkdir -p "$corpus" "$artifacts"
    for r in "$fuzz/seeds/regressions/$t"-*; do
        if [ -f "$r" ]; then
            cp "$r" "$corpus/"
        fi
    done
    # Crashes, timeouts, out-of-memory and leaks; not libFuzzer's slow-unit-*.
    found_artifacts() {
        find "$artifacts" -type f \( -name 'crash-*' -o -name 'timeout-*' \
            -o -name 'oom-*' -o -name 'leak-*' \) | sort
    }
    before="$(found_artifacts)"
    log="$log_dir/$t.log"
    echo "== fuzzing $t for ${seconds}s (log: $log)"
    start="$(date +%s)"
    status=0
    "${nice_cmd[@]}" cargo +nightly fuzz run "$t" "$corpus" -- \
        -max_total_time="$seconds" -max_len="$(max_len "$t")" \
        -timeout="$timeout" -rss_limit_mb="$rss_mb" \
        -print_final_stats=1 >"$log" 2>&1 || status=$?
    wall=$(($(date +%s) - start))

    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)"
    if [ -z "$execs" ]; then
        # No final stats (a crash): the last status line's count.
        execs="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#' || true)"
    fi
    files="$(find "$corpus" -type f | wc -l)"
    bytes="$(du -sk "$corpus" | cut -f1)"
    artifact="$(comm -13 <(printf '%s\n' "$before") <(found_artifacts) | sed '/^$/d' | tail -n 1)"
    slow="$(grep -c 'Slowest unit' "$log" || true)"
    if [ "$status" -ne 0 ] || [ -n "$artifact" ]; then
        crashed=1
        result="CRASH (exit $status): ${artifact:-see $log}"
        echo "   $t: crash; the panic and backtrace are in $log:"
        grep -m 5 -E "panicked at|ERROR: libFuzzer|SUMMARY" "$log" | sed 's/^/     /' || true
    else
        result="no crash"
    fi
    if [ "${slow:-0}" -gt 0 ]; then
        result="$result; $slow slow-unit report(s) in $log"
    fi
    line="$t: ${execs:-?} execs in ${wall}s, corpus $files files (${bytes} KiB), $result"
    echo "   $line"
    summary+=("$line")
done

echo
echo "== summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
if [ "$crashed" -ne 0 ]; then
    echo "fuzz.sh: at least one target crashed; minimise with" \
        "'cargo +nightly fuzz tmin <target> <artifact>' from fuzz/" >&2
    exit 1
fi

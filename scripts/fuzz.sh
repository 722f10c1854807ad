#!/usr/bin/env bash
# Builds every libFuzzer harness (tests/fuzz/fuzz_*.cc) with clang into
# build/fuzz and runs each one for a bounded time.
#
#   FUZZ_SECONDS=60  seconds per harness
#
# Harness fuzz_<name> starts from the committed seeds in tests/fuzz/corpus/<name>
# (read, never written) plus what earlier runs found in build/fuzz/corpus/<name>,
# and uses tests/fuzz/<name>.dict when there is one. A failure leaves the input
# in build/fuzz/artifacts/<harness>/; reproduce with `build/fuzz/<harness> FILE`,
# and commit the input to the corpus once fixed, so that
# tests/unit/fuzz_corpus_replay_test.cc replays it on every test run.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/fuzz"
seconds="${FUZZ_SECONDS:-60}"

if ! command -v clang++ >/dev/null; then
    echo "fuzz.sh: clang++ not found: apt-get install -y clang libclang-rt-14-dev" >&2
    exit 2
fi

harnesses=()
for source in "$root"/tests/fuzz/fuzz_*.cc; do
    [ -e "$source" ] && harnesses+=("$(basename "$source" .cc)")
done
if [ ${#harnesses[@]} -eq 0 ]; then
    echo "fuzz.sh: no harness in tests/fuzz/fuzz_*.cc" >&2
    exit 2
fi

# Tests are off: this tree is for the harnesses only, built by clang.
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -DSEMGUARD_FUZZ=ON -DSEMGUARD_BUILD_TESTS=OFF \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --target "${harnesses[@]}" -j"$(nproc)"

failed=()
for harness in "${harnesses[@]}"; do
    name=${harness#fuzz_}
    seeds="$root/tests/fuzz/corpus/$name"
    found="$build/corpus/$name"
    artifacts="$build/artifacts/$harness/"
    mkdir -p "$found" "$artifacts"

    # The first corpus directory is where libFuzzer adds new inputs.
    corpora=("$found")
    [ -d "$seeds" ] && corpora+=("$seeds")
    options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
             -artifact_prefix="$artifacts" -print_final_stats=1)
    [ -f "$root/tests/fuzz/$name.dict" ] && options+=(-dict="$root/tests/fuzz/$name.dict")

    echo "== $harness: ${seconds}s"
    if ! "$build/$harness" "${options[@]}" "${corpora[@]}"; then
        failed+=("$harness")
    fi
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz.sh: FAILED: ${failed[*]} (inputs in $build/artifacts/)" >&2
    exit 1
fi
echo "fuzz.sh: ${#harnesses[@]} harness(es) ran ${seconds}s each without a failure"

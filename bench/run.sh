#!/usr/bin/env bash
# mod_semguard benchmarks (make bench), as root on Debian 12:
#
#   bash bench/run.sh [bench_name ...]      e.g. bash bench/run.sh bench_scan
#
#  1. installs what is missing (apt-get; no service may start meanwhile)
#  2. CMake Release build in build/bench: mod_semguard.so and libsemguard_core.a
#  3. compiles the helpers in bench/ (mksets, bare_scan, bare_proc_scan, bare_rmid: cc;
#     tests/support/semstat_count.so, the LD_PRELOAD listing counter;
#     core_bench: g++ against libsemguard_core.a)
#  4. python3 bench/bench.py: every benchmark inside one private IPC+PID
#     namespace (the harness package tests/integration/harness, whose Server
#     also gives the reference configuration), on 127.0.0.1 only
#  5. bench/results/latest.json and latest.md; latest.md is printed
#
# A MISSed target is a result, not a failure: the exit status is non-zero only
# when a benchmark could not run (ERROR) or the build failed.
# SEMGUARD_BENCH_QUICK=1: fewer pairs, shorter runs (to try the bench itself).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
build="$root/build/bench"
say() { printf 'bench: %s\n' "$*"; }
die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, namespaces, apache2 User switch)"
t0=$(date +%s)

# ---- 1. packages --------------------------------------------------------------
PACKAGES=(apache2 apache2-dev libapr1-dev libaprutil1-dev cmake make g++ gcc python3
          util-linux procps openssl wrk strace valgrind git)
missing=()
for p in "${PACKAGES[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null)" = "ii " ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    policy=/usr/sbin/policy-rc.d
    if [ ! -e "$policy" ]; then     # Debian's apache2 must not start its service
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        trap 'rm -f "$policy"' EXIT
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q || die "apt-get update failed"
    apt-get install -y -q --no-install-recommends "${missing[@]}" || die "apt-get install failed"
    if [ "$(trap -p EXIT)" ]; then rm -f "$policy"; trap - EXIT; fi
fi

# ---- 2. build -----------------------------------------------------------------
say "building $build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DSEMGUARD_BUILD_TESTS=OFF >/dev/null \
    || die "cmake configure failed"
cmake --build "$build" -j2 --target mod_semguard semguard_core >/dev/null || die "build failed"

# ---- 3. helpers ----------------------------------------------------------------
for c in mksets bare_scan bare_proc_scan bare_rmid; do
    cc -O2 -Wall -Wextra -o "$build/$c" "bench/$c.c" || die "cc bench/$c.c failed"
done
# the LD_PRELOAD counter of listings (SEM_STAT/SEM_STAT_ANY) per process
cc -O2 -Wall -Wextra -shared -fPIC -o "$build/semstat_count.so" tests/support/semstat_count.c \
    -ldl -lpthread || die "cc tests/support/semstat_count.c failed"
g++ -std=c++17 -O2 -Wall -Wextra -I mod_semguard/core -o "$build/core_bench" \
    bench/core_bench.cc "$build/libsemguard_core.a" || die "g++ bench/core_bench.cc failed"

# ---- 4. benchmarks -------------------------------------------------------------
say "built in $(($(date +%s) - t0))s; running the benchmarks"
export SEMGUARD_MODULE="$build/module/mod_semguard.so"
export SEMGUARD_BUILD_DIR="$build"
export SEMGUARD_SOURCE_DIR="$root"
export SEMGUARD_BENCH_BIN="$build"
rm -f bench/results/latest.md bench/results/latest.json
rc=0
timeout --signal=INT 1200 python3 bench/bench.py "$@" || rc=$?

# ---- 5. report -----------------------------------------------------------------
md=bench/results/latest.md
[ -f "$md" ] || die "no $md written (bench.py exit $rc)"
printf '\n'
cat "$md"
say "total $(($(date +%s) - t0))s; results in bench/results/latest.{md,json}"
if grep -q '"verdict": "ERROR"' bench/results/latest.json; then
    die "a benchmark could not run (ERROR above)"
fi
[ $rc -eq 0 ] || die "bench.py exited $rc"
exit 0

#!/usr/bin/env bash
# The integration tests (real Debian apache2) with mod_semguard built with
# AddressSanitizer + UndefinedBehaviorSanitizer:
#
#   bash scripts/sanitize-integration.sh [ctest arguments, e.g. -R test_reclaim]
#
#  1. cmake -DSEMGUARD_SANITIZE=ON into build/asan-int, build mod_semguard.so
#  2. check that the stock apache2 loads it (apache2 -t, private IPC namespace)
#  3. ctest -L integration in build/asan-int (ctest passes SEMGUARD_MODULE)
#  4. scan every server root's logs for sanitizer reports, and say which ones
#     point into mod_semguard
#
# The stock apache2 is not instrumented: the sanitizer runtimes must be the
# first libraries of the process, so SEMGUARD_HTTPD_PRELOAD (the harness makes
# it apache2's LD_PRELOAD) names the libasan and libubsan of the compiler that
# built the module (gcc 12 here: `gcc -print-file-name=libasan.so`).
#
# ASAN_OPTIONS (override by setting it):
#   detect_leaks=0     LeakSanitizer is off. It runs at the exit of every
#                      process: httpd's children exit without destroying their
#                      pools, so every child would report APR/OpenSSL/httpd
#                      memory that is not ours, and LSan's exit code (23) would
#                      turn each child's exit into a "crash" for the parent.
#                      After fork and setuid(User) the children are not
#                      dumpable, where LSan's stop-the-world tracer fails. The
#                      module's leaks are checked by tests/integration/
#                      test_valgrind.py (parent and children, with restarts) and
#                      by the unit tests under LSan (build/asan in test.sh).
#   halt_on_error=1    the first report ends the process (like UBSan's
#   abort_on_error=0   -fno-sanitize-recover): exit code 1, no core dump; the
#                      report is on stderr, which httpd sends to its error log
#                      once detached (before that: logs/start-N.out).
# UBSAN_OPTIONS: print_stacktrace=1:halt_on_error=1.
# SEMGUARD_KEEP=1 keeps every server root, so that step 4 sees every log;
# they are under build/asan-int/itest/ (removed at the next run of a test).
#
# Environment: SEMGUARD_SOAK=1 (long loops), SEMGUARD_JOBS=N (build
# parallelism, default 2; ctest runs one test file at a time: the timing of the
# restart and crash tests is part of what they check).
# Exit status: non-zero if the build, the load check or a test failed, or any
# sanitizer report was found. Nothing here touches the host's semaphores.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/asan-int"
jobs="${SEMGUARD_JOBS:-2}"

say() { printf 'sanitize-integration: %s\n' "$*"; }
die() { printf 'sanitize-integration: ERROR: %s\n' "$*" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (the integration tests need namespaces)"

# ---- 1. build ---------------------------------------------------------------
t0=$(date +%s)
mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEMGUARD_SANITIZE=ON \
    -DSEMGUARD_BUILD_TESTS=ON -DSEMGUARD_INTEGRATION_TIMEOUT=1800 >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log"; die "cmake configure failed"; }
# The module, and the tools the integration tests run (test_diagnosis's
# seccomp wrapper that makes semget fail).
cmake --build "$build" -j "$jobs" --target mod_semguard semguard_deny_semget ||
    die "build of mod_semguard or semguard_deny_semget failed"
so="$build/module/mod_semguard.so"
[ -f "$so" ] || die "no $so"

# ---- the runtimes of the compiler that built it ------------------------------
cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
[ -n "$cxx" ] || cxx=g++
preload=""
for lib in libasan.so libubsan.so; do
    path=$("$cxx" -print-file-name=$lib)
    [ -e "$path" ] || die "$cxx has no $lib ($path)"
    path=$(readlink -f "$path")
    # the module must need exactly this runtime (same soname)
    soname=$(basename "$path")
    needed=$(readelf -d "$so" | sed -n "s/.*Shared library: \[\(${lib%.so}\.so[.0-9]*\)\].*/\1/p")
    [ -n "$needed" ] || die "$so does not link $lib: not a sanitizer build?"
    case "$soname" in "$needed"*) ;; *) die "$so needs $needed, $cxx gives $path" ;; esac
    preload="$preload${preload:+ }$path"
done
export SEMGUARD_HTTPD_PRELOAD="$preload"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=0:halt_on_error=1:disable_coredump=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export SEMGUARD_KEEP=1
say "module:  $so"
say "LD_PRELOAD for apache2: $SEMGUARD_HTTPD_PRELOAD"
say "ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS"

# ---- 2. the stock apache2 loads it --------------------------------------------
chk="$build/loadcheck"
rm -rf "$chk" && mkdir -p "$chk/logs"
cat >"$chk/httpd.conf" <<EOF
ServerRoot $chk
ServerName localhost
DefaultRuntimeDir $chk/logs
PidFile $chk/logs/httpd.pid
ErrorLog $chk/logs/error.log
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule semguard_module $so
Listen 127.0.0.1:9
EOF
if ! LD_PRELOAD="$SEMGUARD_HTTPD_PRELOAD" unshare --ipc /usr/sbin/apache2 -d "$chk" \
        -f "$chk/httpd.conf" -t -D DUMP_MODULES >"$chk/out" 2>&1 ||
    ! grep -q 'semguard_module (shared)' "$chk/out"; then
    cat "$chk/out"
    die "apache2 does not load the sanitizer-built module with LD_PRELOAD=$SEMGUARD_HTTPD_PRELOAD"
fi
say "apache2 -t loads it ($(($(date +%s) - t0))s so far)"

# ---- 3. the integration tests --------------------------------------------------
rm -rf "$build/itest"
ctest --test-dir "$build" -L integration --output-on-failure -j 1 --timeout 1800 "$@"
ctest_rc=$?

# ---- 4. sanitizer reports in any log --------------------------------------------
pattern='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: (Address|UndefinedBehavior)Sanitizer|AddressSanitizer:DEADLYSIGNAL'
mapfile -t hits < <(grep -rlE "$pattern" "$build/itest" 2>/dev/null | sort)
ours=0
for f in "${hits[@]}"; do
    if grep -qE 'mod_semguard|semguard::' "$f"; then
        ours=$((ours + 1))
        printf '\n==== sanitizer report pointing into mod_semguard: %s\n' "$f"
    else
        printf '\n==== sanitizer report (no mod_semguard frame): %s\n' "$f"
    fi
    grep -nE -A40 "$pattern" "$f" | head -80
done

printf '\n'
say "ctest exit $ctest_rc; ${#hits[@]} log file(s) with sanitizer reports, $ours pointing into mod_semguard; $(($(date +%s) - t0))s"
[ "$ctest_rc" -eq 0 ] && [ ${#hits[@]} -eq 0 ]

#!/usr/bin/env bash
# Every test of mod_semguard, as CI runs it (root on Debian 12):
#
#   bash scripts/test.sh          (also: make test, .ci/run)
#
#  1. scripts/setup.sh            installs what is missing
#  2. CMake build, build/ci       RelWithDebInfo: module, engine, test binaries
#  3. apxs build (make)           build/mod_semguard.so, loaded by `apache2 -t`
#  4. ctest in build/ci           unit, contract (fake and real kernel) and
#                                 integration tests (real apache2), each real-
#                                 kernel test in its own private IPC namespace
#  5. promtool                    conf/prometheus: check rules, rule unit tests;
#                                 make format-check (the sources follow
#                                 .clang-format)
#  6. soak, shortened             crash loop with graceful restarts, 50 cycles
#                                 (tests/integration/soak_crash_restart.py)
#  7. CMake build, build/asan     -DSEMGUARD_SANITIZE=ON (ASan + UBSan)
#  8. ctest -L 'unit|contract'    in build/asan
#  9. scripts/sanitize-integration.sh   the integration tests with an
#                                 ASan/UBSan module (build/asan-int)
#
# Environment:
#   SEMGUARD_SANITIZE=0   skip steps 7 to 9
#   SEMGUARD_SOAK=1       the long loops (passed on to the tests; make soak)
#   SEMGUARD_JOBS=N       build and ctest parallelism (default 2)
#
# A failing step does not stop the later ones that do not depend on it; the
# exit status is non-zero if any step failed. Nothing here touches the host's
# semaphores, the system apache2 service or /etc/apache2.
set -uo pipefail
# The whole script is one { } block: bash reads it completely before running
# it, so editing the checkout while it runs cannot change what it does.
{

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root" || exit 2
jobs="${SEMGUARD_JOBS:-2}"
sanitize="${SEMGUARD_SANITIZE:-1}"
soak="${SEMGUARD_SOAK:-0}"   # reaches the tests through the environment as is
ci="$root/build/ci"
asan="$root/build/asan"

# One run at a time per checkout: two runs would build into the same trees.
mkdir -p "$root/build"
exec 9>"$root/build/.test.sh.lock"
if ! flock -n 9; then
    echo "test.sh: another scripts/test.sh is running in $root; waiting for it to finish"
    flock 9
fi

t_all=$(date +%s)
names=()
results=()
times=()

fmt_time() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# step NAME COMMAND...: runs COMMAND under a header, records PASS/FAIL.
step() {
    local name=$1 t0 rc
    shift
    printf '\n==== %s ====  (%s)\n' "$name" "$(date '+%H:%M:%S')"
    t0=$(date +%s)
    "$@"
    rc=$?
    names+=("$name")
    times+=($(($(date +%s) - t0)))
    if [ $rc -eq 0 ]; then
        results+=(PASS)
        printf -- '---- %s: PASS (%s)\n' "$name" "$(fmt_time "${times[-1]}")"
    else
        results+=("FAIL")
        printf -- '---- %s: FAIL, exit %d (%s)\n' "$name" "$rc" "$(fmt_time "${times[-1]}")"
    fi
    return $rc
}

skip() {
    names+=("$1")
    results+=("SKIP")
    times+=(0)
    printf '\n==== %s ====\n---- %s: SKIP (%s)\n' "$1" "$1" "$2"
}

summary() {
    local i failed=0 total
    total=$(($(date +%s) - t_all))
    printf '\n==== summary ====\n'
    for i in "${!names[@]}"; do
        printf '  %-4s  %-34s %s\n' "${results[$i]}" "${names[$i]}" "$(fmt_time "${times[$i]}")"
        [ "${results[$i]}" = FAIL ] && failed=$((failed + 1))
    done
    if [ $failed -eq 0 ]; then
        printf 'test.sh: PASSED, %d step(s) in %s (SEMGUARD_SOAK=%s, SEMGUARD_SANITIZE=%s)\n' \
            "${#names[@]}" "$(fmt_time "$total")" "$soak" "$sanitize"
        exit 0
    fi
    printf 'test.sh: FAILED, %d of %d step(s) failed in %s\n' "$failed" "${#names[@]}" "$(fmt_time "$total")"
    exit 1
}

# module_loads SO DIR: a tiny server config in DIR that loads SO and the
# shipped conf/semguard.conf: `apache2 -t` must accept it. (The module is linked
# with httpd's symbols left undefined: a missing symbol of its own shows only
# here.) Inside a private IPC namespace, as everything that starts apache2.
# shellcheck disable=SC2317  # (called through step)
module_loads() {
    local so=$1 dir=$2
    [ -f "$so" ] || { echo "no $so"; return 1; }
    rm -rf "$dir" && mkdir -p "$dir/logs"
    cat >"$dir/httpd.conf" <<EOF
ServerRoot $dir
ServerName localhost
DefaultRuntimeDir $dir/logs
PidFile $dir/logs/httpd.pid
ErrorLog $dir/logs/error.log
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authz_host_module /usr/lib/apache2/modules/mod_authz_host.so
LoadModule semguard_module $so
Listen 127.0.0.1:9
Include $root/conf/semguard.conf
EOF
    unshare --ipc /usr/sbin/apache2 -d "$dir" -f "$dir/httpd.conf" -t -D DUMP_MODULES >"$dir/out" 2>&1
    local rc=$?
    grep -E 'semguard|Syntax|rror' "$dir/out" || true
    [ "$rc" -eq 0 ] && grep -q 'semguard_module (shared)' "$dir/out"
}

printf 'mod_semguard tests: %s, %d job(s), SEMGUARD_SOAK=%s, SEMGUARD_SANITIZE=%s\n' \
    "$root" "$jobs" "$soak" "$sanitize"
printf '%s, %s core(s), kernel %s\n' "$(grep -oP '^PRETTY_NAME="?\K[^"]*' /etc/os-release 2>/dev/null)" \
    "$(nproc)" "$(uname -r)"

step "setup (scripts/setup.sh)" bash "$root/scripts/setup.sh" || summary

# ---- the main build and every test -------------------------------------------
if step "cmake configure build/ci" cmake -S "$root" -B "$ci" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSEMGUARD_SANITIZE=OFF -DSEMGUARD_BUILD_TESTS=ON &&
    step "cmake build build/ci" cmake --build "$ci" -j "$jobs"; then
    ci_built=1
else
    ci_built=0
fi

if step "apxs build (make)" make -C "$root" -j "$jobs"; then
    step "apxs module loads (apache2 -t)" module_loads "$root/build/mod_semguard.so" "$root/build/apxs-loadcheck"
else
    skip "apxs module loads (apache2 -t)" "make failed"
fi

if [ $ci_built = 1 ]; then
    step "cmake module loads (apache2 -t)" module_loads "$ci/module/mod_semguard.so" "$ci/loadcheck"
    step "ctest build/ci (unit, contract, integration)" \
        ctest --test-dir "$ci" --output-on-failure -j "$jobs" --timeout 900
else
    skip "ctest build/ci (unit, contract, integration)" "build/ci did not build"
fi

# ---- alerting rules: syntax and their unit tests -------------------------------
# shellcheck disable=SC2317  # (called through step)
promtool_rules() {
    promtool check rules "$root/conf/prometheus/semguard.rules.yml" &&
        (cd "$root/conf/prometheus" && promtool test rules semguard.rules.test.yml)
}
step "promtool check/test rules" promtool_rules
step "format-check (.clang-format)" make -C "$root" format-check

# ---- shortened soak: crash loop with graceful restarts ---------------------------
if [ $ci_built = 1 ]; then
    step "soak: crash loop + graceful restarts" env SEMGUARD_MODULE="$ci/module/mod_semguard.so" \
        SEMGUARD_BUILD_DIR="$ci" SEMGUARD_SOURCE_DIR="$root" \
        SEMGUARD_SOAK_CYCLES="${SEMGUARD_SOAK_CYCLES:-$([ "$soak" != 0 ] && echo 200 || echo 50)}" \
        python3 "$root/tests/integration/soak_crash_restart.py"
else
    skip "soak: crash loop + graceful restarts" "build/ci did not build"
fi

# ---- sanitizers -----------------------------------------------------------------
if [ "$sanitize" != 0 ]; then
    export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1}"
    export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
    # Only the test binaries: the sanitized module is not loaded here.
    if step "cmake configure build/asan" cmake -S "$root" -B "$asan" \
            -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSEMGUARD_SANITIZE=ON -DSEMGUARD_BUILD_TESTS=ON &&
        step "cmake build build/asan" cmake --build "$asan" -j "$jobs" \
            --target semguard_unit semguard_contract; then
        step "ctest build/asan (unit, contract)" \
            ctest --test-dir "$asan" -L 'unit|contract' --output-on-failure -j "$jobs" --timeout 900
    else
        skip "ctest build/asan (unit, contract)" "build/asan did not build"
    fi
    # The integration tests once more, with the module itself sanitized. The
    # script sets its own ASAN_OPTIONS (LeakSanitizer off for httpd), not ours.
    # Left out: test_debian_package (it builds its own, unsanitized module) and
    # test_restart_storms, whose verdict is a count of requests cut by hard
    # restarts compared with stock httpd: with the instrumented module 8 hard
    # restarts took 32 s instead of 20 and cut 19-64 requests (stock: 0-44
    # with the same LD_PRELOAD), a timing verdict, not a memory one (no
    # sanitizer report). Its restarts run unsanitized in the main ctest. And
    # test_listings and test_proc_listing: their own LD_PRELOAD (the listing
    # counter, built in build/ci) would replace the sanitizer runtimes; they
    # count calls, which instrumentation does not change, and the parser of
    # /proc/sysvipc/sem meets hostile files under ASan in the unit and
    # contract tests (build/asan above).
    step "sanitized integration (sanitize-integration.sh)" \
        env -u ASAN_OPTIONS -u UBSAN_OPTIONS \
        bash "$root/scripts/sanitize-integration.sh" \
        -E 'test_debian_package|test_restart_storms|test_listings|test_proc_listing'
else
    skip "sanitizer build and tests" "SEMGUARD_SANITIZE=0"
fi

summary
}

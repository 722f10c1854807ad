#!/usr/bin/env bash
# Installs what mod_semguard needs to build, test and demo, as root on Debian 12.
#
#   bash scripts/setup.sh
#
# Idempotent and quick on a provisioned machine: packages already installed
# (dpkg-query) are skipped; `apt-get update` runs once, and only when a package
# is missing. Package scripts may not start services meanwhile: a policy-rc.d
# answering 101 is in place during the install (Debian's apache2 and prometheus
# would otherwise start their system services, prometheus listening on every
# interface). Anything of theirs that starts anyway is stopped by pid. The
# system's apache2 service and /etc/apache2 are otherwise left alone.
set -euo pipefail

PACKAGES=(
    # build
    build-essential g++ cmake make pkg-config
    apache2 apache2-dev libapr1-dev libaprutil1-dev
    googletest libgtest-dev libgmock-dev
    nlohmann-json3-dev  # the tests parse ?json with a real parser
    # tests: harness, namespaces, TLS, process and IPC tools
    python3 openssl ca-certificates procps psmisc util-linux iproute2 curl jq
    prometheus  # promtool check metrics, check/test rules
    python3-jsonschema python3-yaml   # ?json schema, dashboard and rules tests
    # the Debian package (debian/, tests/integration/test_debian_package.py);
    # dh_apache2 comes with apache2-dev
    dpkg-dev debhelper lintian
    chromium    # headless screenshot of the status page
    # fuzzing and sanitizers, benchmarks, memory checks
    clang libclang-rt-14-dev wrk valgrind
    clang-format  # make format-check (.clang-format is clang-format 14's)
)

say() { printf 'setup.sh: %s\n' "$*"; }
die() { printf 'setup.sh: ERROR: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (apt-get install)"
if ! command -v dpkg-query >/dev/null || ! command -v apt-get >/dev/null; then
    die "needs a Debian system (dpkg-query, apt-get)"
fi
if [ -r /etc/os-release ]; then
    # shellcheck disable=SC1091
    . /etc/os-release
    if [ "${ID:-}" != debian ] || [ "${VERSION_ID:-}" != 12 ]; then
        say "note: made for Debian 12, this is ${PRETTY_NAME:-unknown}; trying anyway"
    fi
fi

# ---- what is missing ----------------------------------------------------
missing_packages() {
    local -A installed=()
    local name status
    # One dpkg-query for all; unknown names only print to stderr.
    while read -r name status; do
        [ "$status" = ii ] && installed[$name]=1
    done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PACKAGES[@]}" 2>/dev/null || true)
    for name in "${PACKAGES[@]}"; do
        [ -n "${installed[$name]:-}" ] || printf '%s\n' "$name"
    done
}

mapfile -t missing < <(missing_packages)
if [ ${#missing[@]} -eq 0 ]; then
    say "all ${#PACKAGES[@]} packages already installed"
    exit 0
fi
say "missing: ${missing[*]}"

# ---- no service may start during the install ------------------------------
policy=/usr/sbin/policy-rc.d
policy_saved=""
policy_ours=0
restore_policy() {
    if [ "$policy_ours" = 1 ]; then
        rm -f "$policy"
        [ -n "$policy_saved" ] && mv -f "$policy_saved" "$policy"
        policy_ours=0
    fi
}
trap restore_policy EXIT
trap 'restore_policy; exit 130' INT
trap 'restore_policy; exit 143' TERM
if [ -x "$policy" ] && { "$policy" apache2 start >/dev/null 2>&1; [ $? -eq 101 ]; }; then
    say "$policy already refuses service starts"
else
    if [ -e "$policy" ]; then
        policy_saved="$policy.semguard-setup.$$"
        mv -f "$policy" "$policy_saved"
    fi
    printf '#!/bin/sh\n# scripts/setup.sh of mod_semguard: no service starts during its install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    policy_ours=1
fi

# Processes that the package scripts could start: apache2 and prometheus.
service_pids() {
    local d comm
    for d in /proc/[0-9]*; do
        comm=$(cat "$d/comm" 2>/dev/null) || continue
        case "$comm" in apache2|prometheus*) printf '%s\n' "${d#/proc/}" ;; esac
    done
}
mapfile -t before < <(service_pids)

# ---- apt-get update (once) and candidates -------------------------------
candidate() { apt-cache policy "$1" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }'; }
unavailable() {
    local name c
    for name in "${missing[@]}"; do
        c=$(candidate "$name")
        if [ -z "$c" ] || [ "$c" = "(none)" ]; then printf '%s\n' "$name"; fi
    done
}
export DEBIAN_FRONTEND=noninteractive
say "apt-get update"
apt-get update -q || die "apt-get update failed"
mapfile -t absent < <(unavailable)
[ ${#absent[@]} -eq 0 ] || die "no installation candidate for: ${absent[*]} (check /etc/apt/sources.list)"

# ---- install ----------------------------------------------------------------
say "apt-get install ${missing[*]}"
apt-get install -y -q --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" || die "apt-get install failed"
restore_policy

# ---- nothing of the packages may be left running ----------------------------
is_before() {
    local p
    for p in "${before[@]}"; do [ "$p" = "$1" ] && return 0; done
    return 1
}
stray=()
while read -r pid; do
    [ -n "$pid" ] || continue
    is_before "$pid" && continue
    cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
    ppid=$(awk '{ print $4 }' "/proc/$pid/stat" 2>/dev/null) || continue
    pcomm=$(cat "/proc/$ppid/comm" 2>/dev/null || true)
    # apache2 with its own -f config is someone's test server, not the package's.
    case "$cmd" in *" -f "*|*" -d "*) continue ;; esac
    [ "$pcomm" = apache2 ] && continue      # children go with their parent
    stray+=("$pid")
    say "stopping $pid, started by a package script: $cmd"
done < <(service_pids)
if [ ${#stray[@]} -gt 0 ]; then
    kill -TERM "${stray[@]}" 2>/dev/null || true
    for _ in $(seq 1 50); do
        alive=0
        for pid in "${stray[@]}"; do [ -d "/proc/$pid" ] && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.1
    done
    for pid in "${stray[@]}"; do
        if [ -d "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; fi
    done
fi

# ---- check ------------------------------------------------------------------
mapfile -t still < <(missing_packages)
[ ${#still[@]} -eq 0 ] || die "still not installed: ${still[*]}"
for tool in apxs apache2 cmake g++ unshare lsipc ipcs openssl curl promtool clang++ python3; do
    command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] || die "$tool not found after the install"
done
say "installed ${#missing[@]} package(s); all ${#PACKAGES[@]} present"

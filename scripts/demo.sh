#!/usr/bin/env bash
# The real Debian apache2 with mod_semguard, in a private IPC + PID namespace,
# as root on Debian 12:
#
#   bash scripts/demo.sh            (also: make demo)     stop with Ctrl-C
#   DEMO_SECONDS=60 bash scripts/demo.sh                  stops by itself
#
# Installs what is missing (scripts/setup.sh), builds the module with CMake
# into build/demo, and writes a server root in build/demo/root: prefork, two
# Listens on 127.0.0.1, `Mutex sysvsem default`, mod_ssl with a self-signed
# certificate and an shmcb session cache, mod_rewrite with a prg: RewriteMap,
# mod_status, and mod_semguard with conf/semguard.conf (the status page at
# /semguard-status). Stock httpd leaves 3 semaphore sets behind at every
# `kill -9` of this configuration; the demo kills the server twice and starts
# it again, and mod_semguard reclaims the sets of the crashed run each time
# (SG0201 in the log).
#
# apache2 runs inside `unshare --ipc --pid --fork --mount-proc`: its semaphores
# live in a namespace of their own, which disappears with the demo, and the
# host's semaphores are never seen or touched. The network namespace is the
# host's, so the status pages are reachable at http://127.0.0.1:PORT/ while the
# demo runs. Ports: 8080 and 8443 when free, else free ones (DEMO_HTTP_PORT,
# DEMO_HTTPS_PORT choose others). The system's apache2 service and /etc/apache2
# are not used.
set -euo pipefail
# The whole script is one { } block: bash reads it completely before running
# it, so editing the checkout while it runs cannot change what it does.
{

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/demo"
# httpd's children run as User and must reach the server root (else every
# request is a 403, AH00035): for a checkout below a directory closed to
# others (/root is 0700), the root goes to /var/tmp instead.
searchable_by_others() {
    local p=$1
    while [ "$p" != / ]; do
        if [ -e "$p" ]; then
            case "$(stat -c %A "$p")" in ?????????[xt]) ;; *) return 1 ;; esac
        fi
        p=$(dirname "$p")
    done
}
if searchable_by_others "$build"; then
    sroot="$build/root"
else
    sroot="/var/tmp/semguard-demo-$(printf %s "$build" | sha1sum | cut -c1-12)/root"
fi
conf="$sroot/conf/httpd.conf"
errlog="$sroot/logs/error.log"
pidfile="$sroot/run/httpd.pid"
module="$build/module/mod_semguard.so"
APACHE2=/usr/sbin/apache2

say() { printf '%s\n' "$*"; }
header() { printf '\n==== %s\n' "$*"; }
die() { printf 'demo.sh: ERROR: %s\n' "$*" >&2; exit 1; }

# =============================================================================
# outside: install, build, write the server root, enter the namespace
# =============================================================================
if [ "${SEMGUARD_DEMO_INSIDE:-}" != 1 ]; then
    [ "$(id -u)" -eq 0 ] || die "must run as root (apt-get, unshare, httpd's User switch)"
    if [ -n "${DEMO_SECONDS:-}" ] && ! [[ "$DEMO_SECONDS" =~ ^[0-9]+$ ]]; then
        die "DEMO_SECONDS must be a number of seconds, not '$DEMO_SECONDS'"
    fi

    # One demo at a time per checkout (they would share build/demo/root). The
    # lock is inherited through exec by the namespace's shell and held until
    # the demo ends.
    mkdir -p "$build"
    exec 9>"$build/.demo.lock"
    flock -n 9 || die "another scripts/demo.sh is running in $root (lock $build/.demo.lock)"

    header "setup (scripts/setup.sh)"
    bash "$root/scripts/setup.sh"

    header "build: cmake into build/demo"
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DSEMGUARD_BUILD_TESTS=OFF -DSEMGUARD_SANITIZE=OFF >/dev/null
    if ! cmake --build "$build" --target mod_semguard -j "${SEMGUARD_JOBS:-2}" >"$build/build.log" 2>&1; then
        tail -40 "$build/build.log"
        die "the build failed (all of its output: $build/build.log)"
    fi
    [ -f "$module" ] || die "the build made no $module"
    say "$module (build output: $build/build.log)"

    # A port is free if we can bind it on 127.0.0.1 as httpd does, with
    # SO_REUSEADDR (a listener on 0.0.0.0 counts as taken, TIME_WAIT does not).
    port_free() {
        python3 -c 'import socket,sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
    }
    any_free_port() {
        python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
    }
    pick_port() {   # pick_port PREFERRED NOT
        local p=$1
        if [ "$p" != "$2" ] && port_free "$p"; then echo "$p"; return; fi
        while :; do
            p=$(any_free_port)
            [ "$p" != "$2" ] && { echo "$p"; return; }
        done
    }
    http_port=$(pick_port "${DEMO_HTTP_PORT:-8080}" 0)
    https_port=$(pick_port "${DEMO_HTTPS_PORT:-8443}" "$http_port")

    header "server root: $sroot"
    umask 022
    rm -rf "$sroot"
    mkdir -p "$sroot"/{conf,logs,run,htdocs}
    chmod 755 "$build" "$(dirname "$sroot")" "$sroot" "$sroot"/{conf,logs,run,htdocs}
    cat >"$sroot/htdocs/index.html" <<EOF
<!doctype html><html><head><title>mod_semguard demo</title></head><body>
<h1>mod_semguard demo</h1>
<ul><li><a href="/semguard-status">/semguard-status</a>
(<a href="/semguard-status?auto">?auto</a>, <a href="/semguard-status?json">?json</a>,
<a href="/semguard-status?metrics">?metrics</a>)</li>
<li><a href="/server-status">/server-status</a></li></ul></body></html>
EOF
    # The reference configuration of the leak (prefork, two Listens, Mutex
    # sysvsem, mod_ssl shmcb, RewriteMap prg:), rendered by the integration
    # tests' harness (tests/integration/harness/config.py), which also makes the
    # self-signed certificate (under $build/itest/_ssl), plus the shipped
    # conf/semguard.conf as `a2enmod semguard` enables it (every directive at
    # its default; /semguard-status for local clients).
    SEMGUARD_BUILD_DIR="$build" SEMGUARD_MODULE="$module" SEMGUARD_SOURCE_DIR="$root" \
        python3 - "$root/tests/integration" "$sroot" "$http_port" "$https_port" \
        "$root/conf/semguard.conf" >"$conf" <<'PY' || die "cannot write $conf"
import sys
sys.path.insert(0, sys.argv[1])
from harness.config import DEFAULT_PARAMS, render_config
sroot, http_port, https_port, include = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
params = dict(DEFAULT_PARAMS, extra="ExtendedStatus On\nInclude %s" % include)
sys.stdout.write(render_config(params, sroot, [http_port, https_port], "scripts/demo.sh"))
PY
    # Even a configuration test runs in a private IPC namespace.
    unshare --ipc env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$APACHE2" -d "$sroot" -f "$conf" -t \
        || die "apache2 -t rejects $conf"

    header "entering a private IPC + PID namespace (unshare --ipc --pid --fork --mount-proc)"
    export SEMGUARD_DEMO_INSIDE=1
    export SEMGUARD_DEMO_OUTER_IPC
    SEMGUARD_DEMO_OUTER_IPC=$(stat -L -c %i /proc/self/ns/ipc)
    export SEMGUARD_DEMO_OUTER_PID=$$
    export DEMO_HTTP_PORT=$http_port DEMO_HTTPS_PORT=$https_port
    exec unshare --ipc --pid --fork --mount-proc --kill-child bash "$root/scripts/demo.sh"
fi

# =============================================================================
# inside the namespace: this shell is PID 1
# =============================================================================
http_port=$DEMO_HTTP_PORT
https_port=$DEMO_HTTPS_PORT
base="http://127.0.0.1:$http_port"

# Refuse to go on anywhere but in a fresh private namespace.
[ "$$" -eq 1 ] || die "not PID 1 of a new PID namespace"
[ "$(stat -L -c %i /proc/self/ns/ipc)" != "$SEMGUARD_DEMO_OUTER_IPC" ] || die "IPC namespace is the host's"
[ "$(grep -c . /proc/sysvipc/sem)" -le 1 ] || die "the new IPC namespace already has semaphore sets"

httpd() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C "$APACHE2" -d "$sroot" -f "$conf" "$@"; }

# Every process of the namespace but this shell (PID 1) and the subshell
# running this function with its children: apache2 and the RewriteMap program
# (cat). Zombies do not count. Builtins only, so that it forks nothing itself.
others() {
    local d pid stat rest state ppid
    for d in /proc/[0-9]*; do
        pid=${d#/proc/}
        [ "$pid" = 1 ] || [ "$pid" = "$BASHPID" ] && continue
        { read -r stat <"$d/stat"; } 2>/dev/null || continue
        rest=${stat##*) }
        read -r state ppid _ <<<"$rest"
        [ "$state" = Z ] || [ "$ppid" = "$BASHPID" ] && continue
        echo "$pid"
    done
}

set_count() { awk 'NR > 1 && NF { n++ } END { print n + 0 }' /proc/sysvipc/sem; }
log_size() { stat -c %s "$errlog" 2>/dev/null || echo 0; }
log_since() { tail -c +$(($1 + 1)) "$errlog" 2>/dev/null || true; }
show_sets() {
    say "semaphore sets in the namespace ($(set_count)):"
    ipcs -s | sed -n '/^0x/p' | sed 's/^/    /'
}

start_server() {
    local mark
    mark=$(log_size)
    httpd -k start || { log_since "$mark"; die "apache2 -k start failed"; }
    for _ in $(seq 1 300); do
        if [ -s "$pidfile" ] && curl -s -o /dev/null -m 2 "$base/"; then
            say "apache2 is up, parent pid $(cat "$pidfile") (in the namespace)"
            say "its mod_semguard lines:"
            log_since "$mark" | grep 'semguard:' | sed 's/^/    /' || true
            return 0
        fi
        sleep 0.1
    done
    log_since "$mark" | tail -20
    die "apache2 did not answer within 30s"
}

kill9_all() {
    local pids
    mapfile -t pids < <(others)
    say "kill -9 ${pids[*]} (apache2 parent, children, RewriteMap program)"
    [ ${#pids[@]} -eq 0 ] || kill -9 "${pids[@]}" 2>/dev/null || true
    for _ in $(seq 1 100); do
        [ -z "$(others)" ] && return 0
        sleep 0.1
    done
    die "processes still alive after kill -9: $(others | tr '\n' ' ')"
}

stopping=0
stop_server() {
    [ "$stopping" = 1 ] && return
    stopping=1
    trap '' INT TERM HUP
    if [ -n "${sleeper:-}" ]; then kill "$sleeper" 2>/dev/null || true; fi
    header "stopping apache2 (SIGTERM to the parent)"
    local parent
    parent=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$parent" ]; then kill -TERM "$parent" 2>/dev/null || true; fi
    for _ in $(seq 1 200); do
        [ -z "$(others)" ] && break
        sleep 0.1
    done
    if [ -n "$(others)" ]; then
        say "still running after 20s, kill -9"
        kill9_all
    fi
    log_since "${stop_mark:-0}" | grep 'semguard:' | sed 's/^/    /' || true
    say "stopped; the namespace, its semaphores and its processes are gone with this shell"
    exit 0
}
trap stop_server INT TERM HUP

header "1. start: apache2 with mod_semguard"
start_server
show_sets
sets_per_run=$(set_count)

for crash in 1 2; do
    header "$((crash + 1)). crash #$crash: kill -9 every process of the server"
    kill9_all
    say "the $sets_per_run sets of the killed run stay behind: no cleanup ran (stock httpd never"
    say "removes them; its later starts fail with AH00023 'No space left on device')"
    show_sets
    header "   start again: mod_semguard reclaims the sets of the crashed run (SG0201)"
    start_server
    show_sets
    say "(stock httpd would now hold $((sets_per_run * (crash + 1))) sets)"
done

header "mod_semguard's lines in $errlog (grep 'semguard:')"
grep 'semguard:' "$errlog" | sed 's/^/    /' || true

header "lsipc -s (inside the namespace)"
lsipc -s | sed 's/^/    /'
say "and the limits in use (lsipc):"
lsipc | grep -E '^(RESOURCE|SEM)' | sed 's/^/    /' || true

header "the status page (curl -s $base/semguard-status?auto)"
curl -s -m 5 "$base/semguard-status?auto" | head -30 | sed 's/^/    /' || true

header "running: apache2 with mod_semguard, reachable from this host's loopback"
cat <<EOF
    $base/semguard-status            (HTML)
    $base/semguard-status?auto
    $base/semguard-status?json
    $base/semguard-status?metrics    (Prometheus)
    $base/server-status              (mod_status, with a "SysV semaphores" section)
    https://127.0.0.1:$https_port/semguard-status   (self-signed certificate: curl -k)
    error log: $errlog
EOF
stop_mark=$(log_size)
if [ -n "${DEMO_SECONDS:-}" ]; then
    say "Press Ctrl-C to stop (stops by itself after ${DEMO_SECONDS}s: DEMO_SECONDS)."
    sleep "$DEMO_SECONDS" &
    sleeper=$!
    wait "$sleeper" || true
else
    say "Press Ctrl-C to stop (or, from another terminal: pkill -INT -P $SEMGUARD_DEMO_OUTER_PID)."
    while :; do
        sleep 3600 &
        sleeper=$!
        wait "$sleeper" || true
    done
fi
stop_server
}
exit

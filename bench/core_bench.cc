// The module's own engine (libsemguard_core.a) on the real kernel:
//
//   core_bench scan        LinuxSemKernel::list_sets() once; prints "<ns> <sets> <way>"
//                          (how it listed: "file", /proc/sysvipc/sem, or "walk")
//   core_bench scan-walk   the same, the walk forced (no file to read): the
//                          SEM_STAT_ANY loop list_sets falls back to
//   core_bench scan-file   the same, the file forced (no samples): what reading
//                          /proc/sysvipc/sem costs by itself
//   core_bench reclaim N   creates N sets as a crashed run would have left them
//                          (not timed), then times reclaim_previous_run() on a
//                          Record listing them; prints "<ns> <removed>"
//
// Only ever run inside the benchmark's private IPC namespace (bench.py).
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernel/linux_kernel.h"
#include "run/reclaim.h"
#include "record/record.h"

using namespace semguard;

namespace {

long long now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Keeps what was logged (its size), so that building the messages is measured.
class SizeLogger : public Logger {
public:
    void log(Level, const char*, const std::string& text) override { bytes += text.size(); }
    size_t bytes = 0;
};

int die(const char* what) {
    std::perror(what);
    return 1;
}

enum class ScanWay { Cheaper, Walk, File };

int scan(ScanWay way) {
    LinuxSemKernel kernel(way == ScanWay::Walk ? "" : kProcSysvipcSem,
                          way == ScanWay::File ? LinuxSemKernel::LargeTables::File
                                               : LinuxSemKernel::LargeTables::Cheaper);
    const long long t0 = now_ns();
    auto sets = kernel.list_sets();
    const long long t1 = now_ns();
    if (!sets) {
        std::fprintf(stderr, "list_sets: %s\n", sets.error().describe().c_str());
        return 1;
    }
    const bool file = kernel.last_listing() == LinuxSemKernel::Listing::Proc;
    std::printf("%lld %zu %s\n", t1 - t0, sets->size(), file ? "file" : "walk");
    return 0;
}

int reclaim(long n) {
    LinuxSemKernel kernel;
    LinuxRunProbe probe;
    union semun_ { int val; } one{1};
    for (long i = 0; i < n; ++i) {
        const int id = ::semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        if (id < 0 || ::semctl(id, 0, SETVAL, one) < 0) return die("semget/SETVAL");
    }
    // A parent pid that is dead: a child of ours, exited and reaped.
    const pid_t dead = ::fork();
    if (dead < 0) return die("fork");
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    // The run's anchor: created, never attached, removed - so the run is over.
    const int shmid = ::shmget(IPC_PRIVATE, 4096, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid < 0) return die("shmget");
    struct shmid_ds ds {};
    if (::shmctl(shmid, IPC_STAT, &ds) < 0 || ::shmctl(shmid, IPC_RMID, nullptr) < 0)
        return die("shmctl");

    Record rec;
    rec.instance = {"/srv/bench", "/srv/bench/conf/httpd.conf", "/srv/bench/run/httpd.pid"};
    rec.run.parent_pid = dead;
    rec.run.parent_start_ticks = 1;
    rec.run.boot_id = probe.boot_id();
    rec.run.euid = ::geteuid();
    rec.run.anchor_shmid = shmid;
    rec.run.anchor_creator = ds.shm_cpid;
    rec.run.anchor_ctime = static_cast<int64_t>(ds.shm_ctime);
    rec.run.started_at = static_cast<int64_t>(ds.shm_ctime);
    rec.phase = RunPhase::Running;
    rec.generation = 1;
    rec.written_at = rec.run.started_at;
    // The module lists the sets before it reclaims (start_run); not timed here.
    auto live = kernel.list_sets();
    if (!live) return die("list_sets");
    for (const auto& s : *live) {
        RecordedSet r;
        r.identity = s;
        r.type = "mpm-accept";
        r.creator_pid = dead;
        r.generation = 1;
        rec.sets.push_back(r);
    }
    if (static_cast<long>(rec.sets.size()) != n) {
        std::fprintf(stderr, "expected %ld sets, found %zu\n", n, rec.sets.size());
        return 1;
    }
    ReclaimSettings settings;
    settings.mode = ReclaimMode::On;
    settings.self = rec.instance;
    SizeLogger log;

    const long long t0 = now_ns();
    ReclaimOutcome out = reclaim_previous_run(kernel, probe, rec, *live, settings, log);
    const long long t1 = now_ns();
    if (static_cast<long>(out.removed.size()) != n) {
        std::fprintf(stderr, "reclaim removed %zu of %ld (kept %zu, missing %zu): %s\n",
                     out.removed.size(), n, out.kept.size(), out.missing.size(),
                     out.run_verdict.c_str());
        return 1;
    }
    std::printf("%lld %zu %zu\n", t1 - t0, out.removed.size(), log.bytes);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "scan") == 0) return scan(ScanWay::Cheaper);
    if (argc >= 2 && std::strcmp(argv[1], "scan-walk") == 0) return scan(ScanWay::Walk);
    if (argc >= 2 && std::strcmp(argv[1], "scan-file") == 0) return scan(ScanWay::File);
    if (argc >= 3 && std::strcmp(argv[1], "reclaim") == 0) return reclaim(std::atol(argv[2]));
    std::fprintf(stderr, "usage: core_bench scan | scan-walk | scan-file | reclaim N\n");
    return 2;
}

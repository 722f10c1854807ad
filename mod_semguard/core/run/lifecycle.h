// The engine's side of httpd's startup and restart sequence. The glue calls:
//   begin_pass      open_logs, before the MPM's hook: reclaim (first pass of a
//                   start only), the pass's one listing (its baseline), the
//                   headroom check, Starting record;
//   mark_after_mpm  open_logs, right after the MPM created its accept mutexes;
//   mark_span       post_config, between hook positions (FIRST|MIDDLE|LAST|
//                   REALLY_LAST): narrows which module made a set;
//   end_pass        post_config, after every other hook (even REALLY_LAST):
//                   attribute the new sets, protect them, write the Running record;
//   retire_generation / parent_exit / sweep_at_stop   (run/run_guard.h) the
//                   parent's end of a generation and of the run;
//   child_check                       the guard in every child.
// RunMemory is the state of one run. It lives on the heap and survives httpd's
// unloading of the module at restarts (the glue keeps the pointer in the
// process pool), so it holds plain data only: no code pointers.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "run/attribution.h"
#include "log/deferred_log.h"
#include "headroom/headroom.h"
#include "log/logger.h"
#include "mutex/mutex_config.h"
#include "mutex/mutex_knowledge.h"
#include "run/reclaim.h"
#include "record/record.h"
#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"
#include "run/startup_view.h"
#include "diagnosis/diagnosis_view.h"

namespace semguard {

// Sets one module's hooks left behind at a graceful restart.
struct GrowthEntry {
    std::string module;  // "mod_security2.c", a mutex type, or "unknown"
    long sets = 0;
};

// What a mark between hooks saw: the sets made since the previous mark, found
// without a listing (see mark_span). A mark that is not ok merges its span
// into the next one.
struct SpanMark {
    bool ok = false;
    std::vector<SetInfo> fresh;  // sets that appeared since the previous mark, by anyone
    bool listed = false;         // found by a full listing (the cheap way did not add up)
    int segment = 0;             // the listings before and after it (see take_mark)
};

struct GuardSettings {
    std::string state_file;  // resolved path of the state file
    ReclaimMode reclaim = ReclaimMode::On;
    int warn_at_percent = 80;
    bool refuse_start = false;
    bool protect = false;
};

struct PassInput {
    PassKind kind = PassKind::Preflight;
    long generation = 0;
    int64_t now = 0;
    InstanceIdentity instance;
    GuardSettings settings;
    std::vector<MutexConfig> mutexes;
    ConfigFacts facts;
    std::vector<std::string> alternatives;  // mechanisms APR offers besides sysvsem
    long max_processes = 0;                 // MaxRequestWorkers' processes + the parent
    uid_t user_uid = 0;                     // User
    gid_t group_gid = 0;                    // Group
    bool user_known = false;
    // apache2 -X (or -DONE_PROCESS): no children, and the parent itself serves
    // as User, so it removes the sets at its exit as User.
    bool one_process = false;
};

struct RunMemory {
    bool started = false;
    int64_t started_at = 0;
    Record record;           // as last written to the state file
    void* anchor = nullptr;  // this process's mapping of the anchor segment
    StartupView startup;     // what happened at this start, for the status page
    std::vector<int> lookalikes;
    std::vector<MutexConfig> mutexes;  // of the current generation
    ConfigFacts facts;
    GuardSettings settings;
    gid_t group_gid = 0;
    HeadroomVerdict headroom;
    Projection need;
    long last_created = -1;      // sets the last real pass created: a restart's exact need
    Projection last_projection;  // what that pass was projected to create
    Snapshot before;             // the listing this pass began with, less the sets known gone
    // The proof that a set is this process's (span_marks.h, after_baseline):
    // the ids of the listing this process took at the start of the pass
    // (sorted). A set it last touched and that is not among them was made
    // while it was alive: no other process had its pid meanwhile.
    std::vector<int> baseline_ids;
    pid_t baseline_pid = 0;  // who took it: another process may claim nothing by it
    // The chain of cursors (span_marks.h): while `ordered`, each mark finds the
    // sets made since `cursor` by walking only the indices between two cursors.
    bool ordered = false;
    CreationCursor cursor;
    SemUsage watched;                  // SEM_INFO at the last mark (or begin_pass) that succeeded
    bool watching = false;             // `watched` matches `before` plus the marks' sets
    int segment = 0;                   // listings taken by marks in this pass so far
    Snapshot segment_base;             // the last of them (none yet: `before`)
    std::vector<int> void_segments;    // segments in which a known set was removed
    SpanMark after_mpm;                // at mark_after_mpm
    std::vector<SpanMark> span_marks;  // at each mark_span of this pass
    std::vector<GrowthEntry> restart_growth;  // left behind at the last graceful restart
    std::vector<int> unvouched;          // enabled by a reload: sets the running server may own
    std::vector<int> maybe_foreign;      // made while a module unknown to us ran: never relabelled
    bool children_gone_at_exit = false;  // parent_exit found no other process of the run
    long stop_swept = 0;                 // sets removed by sweep_at_stop
    uint64_t reclaimed_total = 0;
    uint64_t kept_total = 0;
    std::vector<DeferredEntry> deferred;  // held until the error log is open
    DiagnosisView diagnosis;              // RemoveIPC verdict of the last real pass, for the page
    bool home_full_reported = false;      // the record outgrew the anchor (said once)
};

enum class PassVerdict { Proceed, Refuse };

// Writes mem.record to the state file; a failure is logged (SG0206), not fatal.
// Records of phase Starting are written without fsync (see Durability).
void save_record(RunMemory& mem, Logger& log);

PassVerdict begin_pass(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe,
                       Logger& log);
// A mark (see mark_span); the new sets are also noted in the anchor, in every
// pass. The preflight's first window is not typed (its sets are not named).
void mark_after_mpm(RunMemory& mem, SemKernel& kernel, PassKind kind = PassKind::FirstReal);
// Notes in the anchor those of `fresh` this process created, while it is alive
// to vouch for them: what a pass killed before end_pass leaves is then provably
// the run's. mark_after_mpm calls it; the glue may call it at more points.
void note_new_sets(RunMemory& mem, SemKernel& kernel, const std::vector<SetInfo>& fresh);
// A mark between post_config hook positions (every pass, also the preflight).
// No listing of the kernel's table: the indices between two creation cursors,
// where the sets made since are; without cursors, SEM_INFO and the indices
// above the highest one the previous mark saw, checked at the pass's end
// (span_marks.h). Where neither holds, the table is listed.
void mark_span(RunMemory& mem, SemKernel& kernel);
// `window1`: hooks between begin_pass and mark_after_mpm; `window2`: from there to
// the first mark_span (or end_pass); `spans[i]`: from the i-th mark_span to the
// next (or end_pass). A span whose mark failed merges into the next.
void end_pass(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log,
              const std::vector<WindowHook>& window1, const std::vector<WindowHook>& window2,
              const std::vector<std::vector<WindowHook>>& spans = {});

// How a recorded set is named in messages and on the page: its type, else the
// module that made it ("mod_x.c, outside httpd's Mutex table"), else "unknown".
std::string set_origin(const RecordedSet& set);

}  // namespace semguard

#include "run/run_guard.h"

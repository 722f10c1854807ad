// How the engine proves that a recorded run of httpd is over: process start
// times (a pid may be reused) and a SysV shared-memory anchor whose attach count
// covers every process the run forked (attachments are inherited by fork).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernel/sys_result.h"

namespace semguard {

enum class ProcessState { Running, Zombie, Absent };

struct ProcessInfo {
    ProcessState state = ProcessState::Absent;
    uint64_t start_ticks = 0;  // /proc/PID/stat field 22: clock ticks after boot
    pid_t parent = 0;          // field 4: tells the server's children from others
};

struct AnchorInfo {
    int shmid = -1;
    int32_t key = 0;
    pid_t creator_pid = 0;
    uid_t cuid = 0;
    unsigned mode = 0;
    uint64_t size = 0;
    unsigned long attached = 0;  // nattch: live processes still attached
    int64_t ctime = 0;
    int64_t dtime = 0;  // last detach: when the last process went away
    bool marked_for_removal = false;
};

// The anchor segment as mapped in this process.
struct AnchorMapping {
    AnchorInfo info;
    void* address = nullptr;
};

class RunProbe {
public:
    virtual ~RunProbe() = default;

    // A zombie has run exit_sem() and detached all shared memory: it holds nothing.
    virtual SysResult<ProcessInfo> process(pid_t pid) = 0;
    virtual pid_t self_pid() = 0;
    virtual uid_t effective_uid() = 0;
    // Changes at every boot; SysV objects never survive one.
    virtual std::string boot_id() = 0;

    // key 0: IPC_PRIVATE. Otherwise IPC_CREAT|IPC_EXCL: EEXIST when the key is taken.
    virtual SysResult<AnchorMapping> create_anchor(uint64_t size, int32_t key = 0) = 0;
    // The segment with this key (shmget(key, 0, 0) and IPC_STAT, no attach);
    // nullopt: none. A segment marked for removal no longer has its key.
    virtual SysResult<std::optional<AnchorInfo>> find_anchor(int32_t key) = 0;
    // The inode of /proc/self/ns/ipc: which IPC namespace ids belong to (0: unknown).
    virtual uint64_t ipc_namespace() = 0;
    // nullopt: no segment with that id exists any more.
    virtual SysResult<std::optional<AnchorInfo>> stat_anchor(int shmid) = 0;
    virtual SysStatus remove_anchor(int shmid) = 0;
    // Every shared-memory segment in this IPC namespace (SHM_STAT_ANY): how a
    // start finds the anchor of a crashed start that no record names.
    virtual SysResult<std::vector<AnchorInfo>> list_anchors() = 0;
    // A copy of the first `bytes` of a segment, attached read-only for the copy.
    virtual SysResult<std::vector<unsigned char>> read_anchor(int shmid, size_t bytes) = 0;

    // Wait before looking again (a reader's momentary attachment). The fake
    // only counts and advances its clock: tests decide what happens meanwhile.
    virtual void pause(int milliseconds) = 0;
};

}  // namespace semguard

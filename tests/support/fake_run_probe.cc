// FakeRunProbe: a process table and SysV shared-memory anchors with Linux's
// attach/detach bookkeeping (ipc/shm.c: shm_open, shm_close, do_shm_rmid).
#include <cerrno>

#include "fake_kernel.h"

#include <algorithm>

namespace semguard {

namespace {

constexpr long kShmmni = 4096;  // SHMMNI

std::string shmctl_call(const char* cmd, int id) {
    return std::string("shmctl(") + cmd + ", " + std::to_string(id) + ")";
}

SysError error_with(int code, const std::string& call) {
    errno = code;
    return sys_error_now(call);
}

}  // namespace

FakeRunProbe::FakeRunProbe(std::shared_ptr<TestClock> clock, pid_t self, uint64_t self_start_ticks)
    : clock_(std::move(clock)), self_(self) {
    processes_[self] = Process{self_start_ticks, false};
}

// ---- RunProbe -----------------------------------------------------------------

SysResult<ProcessInfo> FakeRunProbe::process(pid_t pid) {
    const std::string call = "open(/proc/" + std::to_string(pid) + "/stat)";
    if (auto failed = faults_.on_call(Op::Process, call)) return *failed;
    ProcessInfo info;
    auto it = processes_.find(pid);
    if (pid <= 0 || it == processes_.end()) return info;  // Absent
    info.state = it->second.zombie ? ProcessState::Zombie : ProcessState::Running;
    info.start_ticks = it->second.start_ticks;
    info.parent = it->second.parent;
    return info;
}

SysResult<AnchorMapping> FakeRunProbe::create_anchor(uint64_t size, int32_t key) {
    const std::string call = "shmget(" +
                             (key == 0 ? std::string("IPC_PRIVATE") : std::to_string(key)) + ", " +
                             std::to_string(size) + ", IPC_CREAT|IPC_EXCL|0600)";
    if (auto failed = faults_.on_call(Op::CreateAnchor, call)) return *failed;
    if (size == 0) return error_with(EINVAL, call);  // below SHMMIN
    if (key != 0) {
        auto taken = find_anchor(key);
        if (taken && taken.value()) return error_with(EEXIST, call);
    }
    std::optional<int> shmid = anchor_ids_.allocate(kShmmni);
    if (!shmid) return error_with(ENOSPC, call);

    Anchor& anchor = anchors_[*shmid];
    anchor.info.shmid = *shmid;
    anchor.info.key = key;
    anchor.info.creator_pid = self_;
    anchor.info.cuid = euid_;
    anchor.info.mode = 0600;
    anchor.info.size = size;
    anchor.info.ctime = clock_->now();
    anchor.info.dtime = 0;
    anchor.memory.assign(static_cast<size_t>(size), 0);
    anchor.attached_by.insert(self_);

    AnchorMapping mapping;
    mapping.info = snapshot(anchor);
    mapping.address = anchor.memory.data();
    return mapping;
}

SysResult<std::optional<AnchorInfo>> FakeRunProbe::find_anchor(int32_t key) {
    if (key == 0) return std::optional<AnchorInfo>();
    for (const auto& entry : anchors_) {
        const AnchorInfo& info = entry.second.info;
        if (info.key == key && !info.marked_for_removal)
            return std::optional<AnchorInfo>(snapshot(entry.second));
    }
    return std::optional<AnchorInfo>();
}

int FakeRunProbe::squat_key(int32_t key, uid_t cuid, pid_t creator, uint64_t size) {
    std::optional<int> shmid = anchor_ids_.allocate(kShmmni);
    Anchor& anchor = anchors_[*shmid];
    anchor.info.shmid = *shmid;
    anchor.info.key = key;
    anchor.info.creator_pid = creator;
    anchor.info.cuid = cuid;
    anchor.info.mode = 0600;
    anchor.info.size = size;
    anchor.info.ctime = clock_->now();
    anchor.memory.assign(static_cast<size_t>(size), 0);
    return *shmid;
}

SysResult<std::optional<AnchorInfo>> FakeRunProbe::stat_anchor(int shmid) {
    if (auto failed = faults_.on_call(Op::StatAnchor, shmctl_call("IPC_STAT", shmid))) {
        return *failed;
    }
    const Anchor* anchor = anchor_at(shmid);
    if (anchor == nullptr) return std::optional<AnchorInfo>();
    return std::optional<AnchorInfo>(snapshot(*anchor));
}

SysStatus FakeRunProbe::remove_anchor(int shmid) {
    const std::string call = shmctl_call("IPC_RMID", shmid);
    if (auto failed = faults_.on_call(Op::RemoveAnchor, call)) return *failed;
    Anchor* anchor = anchor_at(shmid);
    if (anchor == nullptr) return error_with(EINVAL, call);
    anchor->info.marked_for_removal = true;
    anchor->info.key = 0;  // IPC_RMID makes the key private at once
    destroy_if_released(shmid);
    return {};
}

SysResult<std::vector<AnchorInfo>> FakeRunProbe::list_anchors() {
    if (auto failed = faults_.on_call(Op::ListAnchors, "shmctl(SHM_INFO)")) return *failed;
    std::vector<AnchorInfo> out;
    for (const auto& entry : anchors_) out.push_back(snapshot(entry.second));
    return out;
}

SysResult<std::vector<unsigned char>> FakeRunProbe::read_anchor(int shmid, size_t bytes) {
    const std::string call = "shmat(" + std::to_string(shmid) + ", NULL, SHM_RDONLY)";
    if (auto failed = faults_.on_call(Op::ReadAnchor, call)) return *failed;
    Anchor* anchor = anchor_at(shmid);
    if (anchor == nullptr) return error_with(EINVAL, call);
    const size_t n = std::min(bytes, anchor->memory.size());
    return std::vector<unsigned char>(anchor->memory.begin(), anchor->memory.begin() + n);
}

// ---- the process table ----------------------------------------------------------

void FakeRunProbe::add_process(pid_t pid, uint64_t start_ticks) {
    if (processes_.count(pid) != 0) remove_process(pid);
    processes_[pid] = Process{start_ticks, false};
}

void FakeRunProbe::fork_process(pid_t parent, pid_t child, uint64_t start_ticks) {
    add_process(child, start_ticks);
    processes_[child].parent = parent;
    for (auto& entry : anchors_) {
        // Each attachment is a mapping, and fork copies every mapping.
        const auto inherited = entry.second.attached_by.count(parent);
        for (size_t i = 0; i < inherited; ++i) entry.second.attached_by.insert(child);
    }
}

void FakeRunProbe::zombify(pid_t pid) {
    auto it = processes_.find(pid);
    if (it == processes_.end() || it->second.zombie) return;
    detach_all(pid);  // exit_mm() runs before the task becomes a zombie
    it->second.zombie = true;
}

void FakeRunProbe::remove_process(pid_t pid) {
    zombify(pid);
    processes_.erase(pid);
}

void FakeRunProbe::set_self(pid_t pid, uint64_t start_ticks) {
    auto it = processes_.find(pid);
    if (it == processes_.end() || it->second.start_ticks != start_ticks) {
        add_process(pid, start_ticks);
    }
    self_ = pid;
}

void FakeRunProbe::pause(int milliseconds) {
    (void)milliseconds;
    ++pauses_;
    if (pause_hook_) pause_hook_();
}

// ---- anchors ------------------------------------------------------------------

SysStatus FakeRunProbe::change_anchor(int shmid, uid_t uid, unsigned mode) {
    Anchor* anchor = anchor_at(shmid);
    if (anchor == nullptr) return error_with(EINVAL, "shmctl(IPC_SET)");
    anchor->info.mode = mode;
    (void)uid;
    anchor->info.ctime = clock_->now();
    return {};
}

SysStatus FakeRunProbe::set_anchor_creator_view(int shmid, pid_t creator) {
    Anchor* anchor = anchor_at(shmid);
    if (anchor == nullptr) return error_with(EINVAL, "shmctl(IPC_STAT)");
    anchor->info.creator_pid = creator;
    return {};
}

SysStatus FakeRunProbe::attach_anchor(int shmid, pid_t pid) {
    Anchor* anchor = anchor_at(shmid);
    if (anchor == nullptr) return error_with(EINVAL, "shmat(" + std::to_string(shmid) + ")");
    anchor->attached_by.insert(pid);
    return {};
}

SysStatus FakeRunProbe::detach_anchor(int shmid, pid_t pid) {
    Anchor* anchor = anchor_at(shmid);
    auto it = anchor == nullptr ? std::multiset<pid_t>::iterator() : anchor->attached_by.find(pid);
    if (anchor == nullptr || it == anchor->attached_by.end()) {
        return error_with(EINVAL, "shmdt(" + std::to_string(shmid) + ")");
    }
    anchor->attached_by.erase(it);
    anchor->info.dtime = clock_->now();
    destroy_if_released(shmid);
    return {};
}

FakeRunProbe::Anchor* FakeRunProbe::anchor_at(int shmid) {
    auto it = anchors_.find(shmid);
    return it == anchors_.end() ? nullptr : &it->second;
}

void FakeRunProbe::detach_all(pid_t pid) {
    std::vector<int> touched;
    for (auto& entry : anchors_) {
        if (entry.second.attached_by.erase(pid) != 0) {
            entry.second.info.dtime = clock_->now();
            touched.push_back(entry.first);
        }
    }
    for (int shmid : touched) destroy_if_released(shmid);
}

void FakeRunProbe::destroy_if_released(int shmid) {
    auto it = anchors_.find(shmid);
    if (it == anchors_.end()) return;
    if (it->second.info.marked_for_removal && it->second.attached_by.empty()) {
        anchors_.erase(it);
        anchor_ids_.release(shmid);
    }
}

AnchorInfo FakeRunProbe::snapshot(const Anchor& anchor) const {
    AnchorInfo info = anchor.info;
    info.attached = anchor.attached_by.size();
    return info;
}

}  // namespace semguard

// FakeSemKernel: Linux 6.x ipc/sem.c semantics, in memory. Error texts are the
// ones LinuxSemKernel produces for the same call.
#include "fake_kernel.h"

#include <cerrno>

namespace semguard {

namespace {

constexpr long kSemvmx = 32767;            // SEMVMX
constexpr long kSemaem = kSemvmx;          // SEMAEM
constexpr long kSemmnu = 32000L * 32000L;  // SEMMNU = SEMMNS at compile time
constexpr long kSemume = 500;              // SEMUME = SEMOPM at compile time

std::string semctl_call(const char* cmd, int id) {
    return std::string("semctl(") + cmd + ", " + std::to_string(id) + ")";
}

std::string semctl_call(const char* cmd, int id, unsigned long semnum) {
    return std::string("semctl(") + cmd + ", " + std::to_string(id) + ", " +
           std::to_string(semnum) + ")";
}

SysError error_with(int code, const std::string& call) {
    errno = code;
    return sys_error_now(call);
}

}  // namespace

FakeSemKernel::FakeSemKernel(std::shared_ptr<TestClock> clock)
    : clock_(std::move(clock)), limits_(linux_defaults()) {}

SemLimits FakeSemKernel::linux_defaults() {
    SemLimits limits;
    limits.semmsl = 32000;
    limits.semmns = 1024000000;
    limits.semopm = 500;
    limits.semmni = 32000;
    limits.semvmx = kSemvmx;
    limits.semaem = kSemaem;
    limits.semmnu = kSemmnu;
    limits.semume = kSemume;
    limits.undo_enforced = false;
    return limits;
}

void FakeSemKernel::set_limits(long semmsl, long semmns, long semopm, long semmni) {
    limits_.semmsl = semmsl;
    limits_.semmns = semmns;
    limits_.semopm = semopm;
    limits_.semmni = semmni;
}

FakeSemKernel::Set* FakeSemKernel::find(int semid) {
    return const_cast<Set*>(static_cast<const FakeSemKernel*>(this)->find(semid));
}

const FakeSemKernel::Set* FakeSemKernel::find(int semid) const {
    if (semid < 0 || !ids_.in_use(semid)) return nullptr;
    auto it = sets_.find(FakeIpcIds::index_of(semid));
    return it == sets_.end() ? nullptr : &it->second;
}

std::optional<SysError> FakeSemKernel::check_semnum(const Set* set, int semid, unsigned long semnum,
                                                    const char* cmd) const {
    if (set == nullptr || semnum >= set->sems.size()) {
        return error_with(EINVAL, semctl_call(cmd, semid, semnum));
    }
    return std::nullopt;
}

// ---- SemKernel ------------------------------------------------------------

SysResult<SemLimits> FakeSemKernel::limits() {
    if (auto failed = faults_.on_call(Op::Limits, "semctl(0, 0, IPC_INFO)")) return *failed;
    return limits_;
}

SysResult<SemUsage> FakeSemKernel::usage() {
    if (auto failed = faults_.on_call(Op::Usage, "semctl(0, 0, SEM_INFO)")) return *failed;
    SemUsage usage;
    usage.arrays = ids_.count();
    usage.semaphores = used_semaphores_;
    usage.highest_index = ids_.highest_index();
    return usage;
}

SysResult<std::vector<SetInfo>> FakeSemKernel::list_sets() {
    if (auto failed = faults_.on_call(Op::ListSets, "semctl(0, 0, SEM_INFO)")) return *failed;
    ++full_listings_;
    std::vector<SetInfo> sets;
    sets.reserve(sets_.size());
    for (const auto& entry : sets_) {
        sets.push_back(entry.second.info);
        sets.back().index = entry.first;
    }
    return sets;
}

SysResult<std::vector<SetInfo>> FakeSemKernel::list_sets_between(int first_index, int last_index) {
    if (auto failed = faults_.on_call(Op::ListSets, "semctl(SEM_STAT_ANY)")) return *failed;
    std::vector<SetInfo> sets;
    for (auto it = sets_.lower_bound(first_index); it != sets_.end() && it->first <= last_index;
         ++it) {
        sets.push_back(it->second.info);
        sets.back().index = it->first;
    }
    return sets;
}

SysResult<SetInfo> FakeSemKernel::stat_set(int semid) {
    const std::string call = semctl_call("IPC_STAT", semid);
    if (auto failed = faults_.on_call(Op::StatSet, call)) return *failed;
    const Set* set = find(semid);
    if (set == nullptr) return error_with(EINVAL, call);
    return set->info;
}

SysResult<std::vector<SemState>> FakeSemKernel::read_states(int semid, unsigned long nsems) {
    if (auto failed = faults_.on_call(Op::ReadStates, semctl_call("GETVAL", semid, 0))) {
        return *failed;
    }
    const Set* set = find(semid);
    std::vector<SemState> states;
    states.reserve(nsems);
    for (unsigned long i = 0; i < nsems; ++i) {
        if (auto bad = check_semnum(set, semid, i, "GETVAL")) return *bad;
        states.push_back(set->sems[i]);
    }
    return states;
}

SysStatus FakeSemKernel::probe_create() {
    const std::string call = "semget(IPC_PRIVATE, 1, IPC_CREAT|IPC_EXCL|0600)";
    if (auto failed = faults_.on_call(Op::ProbeCreate, call)) return *failed;
    // Like Linux: a set is created and removed at once, so the limits apply.
    if (static_cast<long>(sets_.size()) >= limits_.semmni || used_semaphores_ + 1 > limits_.semmns)
        return error_with(ENOSPC, call);
    return {};
}

SysResult<CreationCursor> FakeSemKernel::creation_cursor() {
    const std::string call = "semget(IPC_PRIVATE, 1, IPC_CREAT|IPC_EXCL|0600)";
    if (auto failed = faults_.on_call(Op::Cursor, call)) return *failed;
    if (!cursor_supported_) return error_with(ENOSYS, "creation_cursor");
    if (used_semaphores_ + 1 > limits_.semmns) return error_with(ENOSPC, call);
    std::optional<int> semid = ids_.allocate(limits_.semmni);
    if (!semid) return error_with(ENOSPC, call);
    ids_.release(*semid);
    CreationCursor cursor;
    cursor.index = FakeIpcIds::index_of(*semid);
    cursor.era = *semid - cursor.index;
    return cursor;
}

SysStatus FakeSemKernel::remove_set(int semid) {
    const std::string call = semctl_call("IPC_RMID", semid);
    if (auto failed = faults_.on_call(Op::RemoveSet, call)) return *failed;
    Set* set = find(semid);
    if (set == nullptr) return error_with(EINVAL, call);
    // Blocked waiters are woken with EIDRM and go with the set.
    used_semaphores_ -= static_cast<long>(set->info.nsems);
    sets_.erase(FakeIpcIds::index_of(semid));
    ids_.release(semid);
    return {};
}

SysStatus FakeSemKernel::set_owner(int semid, uid_t uid, gid_t gid, unsigned mode) {
    const std::string stat_call = semctl_call("IPC_STAT", semid);
    if (auto failed = faults_.on_call(Op::SetOwner, stat_call)) return *failed;
    Set* set = find(semid);
    if (set == nullptr) return error_with(EINVAL, stat_call);
    set->info.uid = uid;
    set->info.gid = gid;
    set->info.mode = mode & 0777u;
    set->info.ctime = clock_->now();
    return {};
}

// ---- the world --------------------------------------------------------------

SysResult<int> FakeSemKernel::create_set(int32_t key, unsigned long nsems, unsigned mode, uid_t uid,
                                         gid_t gid, uid_t cuid, gid_t cgid, pid_t creator_pid) {
    const std::string call = "semget(" + std::to_string(key) + ", " + std::to_string(nsems) + ")";
    // The order of the checks is ksys_semget's, then ipcget's, then newary's.
    if (nsems > static_cast<unsigned long>(limits_.semmsl)) return error_with(EINVAL, call);
    if (key != 0) {
        for (const auto& entry : sets_) {
            if (entry.second.info.key == key) return error_with(EEXIST, call);
        }
    }
    if (nsems == 0) return error_with(EINVAL, call);
    if (used_semaphores_ + static_cast<long>(nsems) > limits_.semmns) {
        return error_with(ENOSPC, call);
    }
    std::optional<int> semid = ids_.allocate(limits_.semmni);
    if (!semid) return error_with(ENOSPC, call);

    Set set;
    set.info.semid = *semid;
    set.info.key = key;
    set.info.uid = uid;
    set.info.gid = gid;
    set.info.cuid = cuid;
    set.info.cgid = cgid;
    set.info.mode = mode & 0777u;
    set.info.nsems = nsems;
    set.info.otime = 0;
    set.info.ctime = clock_->now();
    set.sems.resize(nsems);
    set.creator_pid = creator_pid;
    sets_[FakeIpcIds::index_of(*semid)] = std::move(set);
    used_semaphores_ += static_cast<long>(nsems);
    return *semid;
}

pid_t FakeSemKernel::creator_of(int semid) const {
    const Set* set = find(semid);
    return set == nullptr ? 0 : set->creator_pid;
}

SysStatus FakeSemKernel::set_value(int semid, unsigned long semnum, int value, pid_t pid) {
    Set* set = find(semid);
    if (auto bad = check_semnum(set, semid, semnum, "SETVAL")) return *bad;
    if (value < 0 || value > limits_.semvmx) {
        return error_with(ERANGE, semctl_call("SETVAL", semid, semnum));
    }
    set->sems[semnum].value = value;
    set->sems[semnum].last_pid = pid;
    set->info.ctime = clock_->now();
    return {};
}

SysStatus FakeSemKernel::semop(int semid, unsigned long semnum, int delta, pid_t pid) {
    const std::string call = "semop(" + std::to_string(semid) + ", " + std::to_string(semnum) +
                             ", " + std::to_string(delta) + ")";
    Set* set = find(semid);
    if (set == nullptr) return error_with(EINVAL, call);
    if (semnum >= set->sems.size()) return error_with(EFBIG, call);
    SemState& sem = set->sems[semnum];
    const long result = static_cast<long>(sem.value) + delta;
    if (result < 0 || (delta == 0 && sem.value != 0)) return error_with(EAGAIN, call);
    if (result > limits_.semvmx) return error_with(ERANGE, call);
    sem.value = static_cast<int>(result);
    sem.last_pid = pid;
    set->info.otime = clock_->now();
    return {};
}

SysStatus FakeSemKernel::set_waiting(int semid, unsigned long semnum, int waiting,
                                     int waiting_zero) {
    Set* set = find(semid);
    if (auto bad = check_semnum(set, semid, semnum, "GETNCNT")) return *bad;
    set->sems[semnum].waiting = waiting;
    set->sems[semnum].waiting_zero = waiting_zero;
    return {};
}

SysStatus FakeSemKernel::add_waiter(int semid, unsigned long semnum, bool for_zero) {
    Set* set = find(semid);
    if (auto bad = check_semnum(set, semid, semnum, for_zero ? "GETZCNT" : "GETNCNT")) return *bad;
    SemState& sem = set->sems[semnum];
    ++(for_zero ? sem.waiting_zero : sem.waiting);
    return {};
}

SysStatus FakeSemKernel::remove_waiter(int semid, unsigned long semnum, bool for_zero) {
    const char* cmd = for_zero ? "GETZCNT" : "GETNCNT";
    Set* set = find(semid);
    if (auto bad = check_semnum(set, semid, semnum, cmd)) return *bad;
    int& count = for_zero ? set->sems[semnum].waiting_zero : set->sems[semnum].waiting;
    if (count == 0) return error_with(EINVAL, semctl_call(cmd, semid, semnum));
    --count;
    return {};
}

}  // namespace semguard

// Reading /proc/sysvipc/sem for LinuxSemKernel::list_sets (linux_kernel.h),
// in steps: a sample of its first lines, then the rest, so that list_sets can
// time the sample against the walk's and go on with whichever costs less
// (kernel/listing_choice.h). Only linux_kernel.cc uses it, and the contract
// test that holds its steps to the walk.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "kernel/proc_sem_table.h"
#include "kernel/sem_kernel.h"

namespace semguard {

class ProcSemFile {
public:
    // Opens `path` and checks that it is procfs's; `expected_sets` reserves room.
    ProcSemFile(const std::string& path, size_t expected_sets);
    ~ProcSemFile();
    ProcSemFile(const ProcSemFile&) = delete;
    ProcSemFile& operator=(const ProcSemFile&) = delete;

    // False once the file cannot be used: not procfs, unreadable, refused by
    // the parser. The caller then walks.
    bool usable() const { return fd_ >= 0; }
    // Reads until at least `lines` sets are parsed, or the end, `chunk` bytes
    // at a time (the kernel formats about that much per read()). False if the
    // file became unusable.
    bool read_sets(size_t lines, size_t chunk);
    size_t sets_read() const { return parser_.sets(); }
    // Reads the rest and confirms the whole (proc_sem_table.h's order under
    // an index mask, and one SEM_STAT_ANY at the last set's index giving back
    // its id). nullopt: the caller walks. Call once.
    std::optional<std::vector<SetInfo>> finish();

private:
    void give_up();

    int fd_ = -1;
    ProcSemTableParser parser_;
    bool at_end_ = false;
};

}  // namespace semguard

// libFuzzer harness for the parser of /proc/sysvipc/sem. LinuxSemKernel reads
// that file only after fstatfs says it is procfs, but the parser is held to
// any bytes all the same: what it accepts becomes the module's view of the
// kernel's table.
//
// Properties, for any bytes x and both index masks:
//   - parse_proc_sem_table(x) returns (no crash, hang, leak or undefined
//     behaviour; ASan/UBSan and libFuzzer's limits watch for those);
//   - a refusal says why;
//   - fed in pieces (ProcSemTableParser, as the reader does), the text gives
//     the same answer as whole;
//   - an acceptance holds only what the kernel can print: semid >= 0,
//     nsems >= 1, mode within 0777, indices strictly increasing, each the id
//     under the mask; and the table printed again in the kernel's own format
//     parses to the same sets.
// tests/unit/proc_sem_table_corpus_replay_test.cc checks the same on the
// committed corpus (tests/fuzz/corpus/proc_sem_table).
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/proc_sem_table.h"

namespace {

using semguard::SetInfo;

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_proc_sem_table: %s\n%s\n", what, detail.c_str());
    std::abort();
}

// The kernel's format (ipc/sem.c sysvipc_sem_proc_show).
std::string print(const std::vector<SetInfo>& sets) {
    std::string text = std::string(semguard::kProcSemHeader) + "\n";
    for (const SetInfo& s : sets) {
        char line[256];
        std::snprintf(line, sizeof line,
                      "%10d %10d  %4o %10lu %5u %5u %5u %5u %10" PRId64 " %10" PRId64 "\n", s.key,
                      s.semid, s.mode, s.nsems, static_cast<unsigned>(s.uid),
                      static_cast<unsigned>(s.gid), static_cast<unsigned>(s.cuid),
                      static_cast<unsigned>(s.cgid), s.otime, s.ctime);
        text += line;
    }
    return text;
}

bool same(const SetInfo& a, const SetInfo& b) {
    return a.semid == b.semid && a.key == b.key && a.uid == b.uid && a.gid == b.gid &&
           a.cuid == b.cuid && a.cgid == b.cgid && a.mode == b.mode && a.nsems == b.nsems &&
           a.otime == b.otime && a.ctime == b.ctime && a.index == b.index;
}

void check_in_pieces(std::string_view text, const semguard::ProcSemTableResult& whole, int mask) {
    const size_t step = 1 + (text.empty() ? 0 : static_cast<unsigned char>(text[0]) % 61);
    semguard::ProcSemTableParser parser;
    for (size_t at = 0; at < text.size(); at += step)
        if (!parser.feed(text.substr(at, step))) break;
    semguard::ProcSemTableResult cut = parser.finish();
    if (cut.ok()) {
        if (std::optional<semguard::ProcSemTableError> e =
                semguard::index_proc_sem_sets(cut.value(), mask))
            cut = *e;
    }
    if (cut.ok() != whole.ok()) fail("in pieces, another answer", std::string(text));
    if (!whole.ok()) {
        if (cut.error().describe() != whole.error().describe())
            fail("in pieces, another reason", cut.error().describe());
        return;
    }
    if (cut->size() != whole->size()) fail("in pieces, another number of sets", "");
    for (size_t i = 0; i < whole->size(); ++i)
        if (!same((*cut)[i], (*whole)[i])) fail("in pieces, another set", "");
}

void check(std::string_view text, int mask) {
    const semguard::ProcSemTableResult r = semguard::parse_proc_sem_table(text, mask);
    check_in_pieces(text, r, mask);
    if (!r.ok()) {
        if (r.error().reason.empty()) fail("refused without a reason", "");
        return;
    }
    int previous = -1;
    for (const SetInfo& s : r.value()) {
        if (s.semid < 0 || s.nsems < 1 || s.mode > 0777 || s.otime < 0 || s.ctime < 0)
            fail("accepted a value the kernel cannot print", print(r.value()));
        if (s.index != (s.semid & mask) || s.index <= previous)
            fail("accepted indices out of order", print(r.value()));
        previous = s.index;
    }
    const std::string again = print(r.value());
    const semguard::ProcSemTableResult second = semguard::parse_proc_sem_table(again, mask);
    if (!second.ok()) fail("its own table printed again is refused", again);
    if (second->size() != r->size()) fail("printed again, another number of sets", again);
    for (size_t i = 0; i < r->size(); ++i)
        if (!same((*r)[i], (*second)[i])) fail("printed again, another set", again);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(text, semguard::kIpcmniIndexMask);
    check(text, semguard::kIpcmniExtendIndexMask);
    return 0;
}

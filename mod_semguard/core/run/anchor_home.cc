#include "run/anchor_home.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "log/messages.h"
#include "record/record_codec.h"
#include "run/anchor_block.h"

namespace semguard {

static_assert(sizeof(AnchorBlock) <= kAnchorRecordOffset, "the block must fit before the record");

namespace {

constexpr uint64_t kSlotBytes = (kAnchorBytes - kAnchorRecordOffset) / 2;

std::string key_text(int32_t key) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
    return buf;
}

}  // namespace

int32_t anchor_key(const std::string& digest, int slot) {
    uint32_t h = 0;
    for (size_t i = 0; i < 8 && i < digest.size(); ++i) {
        const char c = digest[i];
        const uint32_t v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
        h = (h << 4) | v;
    }
    // "SG" in the top byte's neighbourhood, 2^20 bases of 16 slots each; never 0.
    return static_cast<int32_t>(0x53000000u | (h & 0x00fffff0u)) + slot;
}

bool anchor_store_record(void* anchor, const std::string& text) {
    AnchorBlock* b = anchor_block(anchor);
    if (!b || text.empty() || text.size() > kSlotBytes) return false;
    const uint32_t current = b->record_slot.load();
    const uint32_t next = current == 1 ? 2 : 1;  // never the slot a reader may rely on
    char* slot = static_cast<char*>(anchor) + kAnchorRecordOffset + (next - 1) * kSlotBytes;
    std::memcpy(slot, text.data(), text.size());
    b->record_bytes[next - 1].store(static_cast<uint32_t>(text.size()));
    b->record_slot.store(next);
    return true;
}

std::string anchor_stored_record(const std::vector<unsigned char>& copy) {
    if (copy.size() < kAnchorBytes) return "";
    const AnchorBlock* b = anchor_block(static_cast<const void*>(copy.data()));
    if (!b) return "";
    const uint32_t slot = b->record_slot.load();
    if (slot != 1 && slot != 2) return "";
    const uint32_t bytes = b->record_bytes[slot - 1].load();
    if (bytes == 0 || bytes > kSlotBytes) return "";
    const auto* start =
        reinterpret_cast<const char*>(copy.data()) + kAnchorRecordOffset + (slot - 1) * kSlotBytes;
    return std::string(start, bytes);
}

std::vector<HomeRecord> find_home_records(RunProbe& probe, const InstanceIdentity& self,
                                          Logger& log) {
    std::vector<HomeRecord> out;
    const std::string digest = self.digest();
    for (int slot = 0; slot < kAnchorKeySlots; ++slot) {
        const int32_t key = anchor_key(digest, slot);
        auto found = probe.find_anchor(key);
        if (!found) {
            log.log(Level::Warn, tag::kHomeUnreadable,
                    "cannot look up shared memory key " + key_text(key) + ": " +
                        found.error().describe() + "; a record kept there is not used");
            continue;
        }
        if (!found.value()) continue;
        const AnchorInfo a = *found.value();
        // Never attach what another user made: it proves nothing and is theirs.
        if (a.cuid != probe.effective_uid()) {
            log.log(Level::Warn, tag::kKeySquatted,
                    "shared memory key " + key_text(key) + " of this server is taken by segment " +
                        std::to_string(a.shmid) + " of uid " + std::to_string(a.cuid) +
                        " (creator pid " + std::to_string(static_cast<long>(a.creator_pid)) +
                        "), not by this server: not read, not used, nothing of it is removed. "
                        "Inspect: ipcs -m -i " +
                        std::to_string(a.shmid));
            continue;
        }
        if (a.size != kAnchorBytes) continue;  // another program's segment: a key collision
        auto copy = probe.read_anchor(a.shmid, kAnchorBytes);
        if (!copy || !anchor_of_instance(copy.value(), digest)) continue;
        HomeRecord h;
        h.anchor = a;
        if (const AnchorBlock* b = anchor_block(static_cast<const void*>(copy->data())))
            h.ipc_namespace = b->ipc_namespace.load();
        const std::string text = anchor_stored_record(copy.value());
        if (!text.empty()) {
            DecodeResult decoded = decode_record(text);
            if (decoded) {
                h.record = decoded.value();
            } else {
                h.problem = decoded.error().describe();
                log.log(Level::Warn, tag::kHomeUnreadable,
                        "the record kept in anchor segment " + std::to_string(a.shmid) + " (key " +
                            key_text(key) + ") is damaged: " + h.problem +
                            "; nothing of it is reclaimed");
            }
        }
        out.push_back(std::move(h));
    }
    return out;
}

SysResult<AnchorMapping> create_home_anchor(RunProbe& probe, const InstanceIdentity& self,
                                            Logger& log) {
    const std::string digest = self.digest();
    for (int slot = 0; slot < kAnchorKeySlots; ++slot) {
        auto made = probe.create_anchor(kAnchorBytes, anchor_key(digest, slot));
        if (made || made.error().code != EEXIST) return made;
    }
    log.log(Level::Warn, tag::kNoFreeKey,
            "all " + std::to_string(kAnchorKeySlots) + " shared memory keys of this server (" +
                key_text(anchor_key(digest, 0)) + " to " +
                key_text(anchor_key(digest, kAnchorKeySlots - 1)) +
                ") are taken; this run's anchor is private, so only the state file records it "
                "(a crash with a fresh runtime directory could not be reclaimed)");
    return probe.create_anchor(kAnchorBytes, 0);
}

}  // namespace semguard

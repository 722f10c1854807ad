// The anchor block shared by every process of a run: recognising it, and
// noting removals so that exactly one process reports them.
#include "run/anchor_block.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace semguard {
namespace {

// A zero-filled segment, as shmget gives it, aligned for the atomics.
struct Segment {
    alignas(64) unsigned char bytes[4096];
    Segment() { std::memset(bytes, 0, sizeof bytes); }
    void* memory() { return bytes; }
};

TEST(AnchorBlock, FitsInTheAnchorSegment) { EXPECT_LE(sizeof(AnchorBlock), 4096u); }

TEST(AnchorBlock, OnlyAnInitialisedBlockIsRecognised) {
    Segment seg;
    EXPECT_EQ(anchor_block(seg.memory()), nullptr) << "zero-filled is not ours";
    EXPECT_EQ(anchor_block(static_cast<void*>(nullptr)), nullptr);
    EXPECT_EQ(anchor_block(static_cast<const void*>(nullptr)), nullptr);
    anchor_init(seg.memory(), 3);
    AnchorBlock* b = anchor_block(seg.memory());
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(static_cast<void*>(b), seg.memory());
    EXPECT_EQ(anchor_block(static_cast<const void*>(seg.memory())), b);
    EXPECT_EQ(b->magic, kAnchorMagic);
    EXPECT_EQ(b->size, sizeof(AnchorBlock));
    EXPECT_EQ(b->live_generation.load(), 3);
    EXPECT_EQ(b->retiring.load(), 0u);
    EXPECT_EQ(b->removal_reported.load(), 0u);
    EXPECT_EQ(b->unusable_reported.load(), 0u);
    EXPECT_EQ(b->removal_count.load(), 0u);
    EXPECT_EQ(b->removal_detected_at.load(), 0);
    for (const auto& id : b->removed_semids) EXPECT_EQ(id.load(), -1);
}

TEST(AnchorBlock, WrongMagicOrSizeIsNotOurs) {
    Segment seg;
    anchor_init(seg.memory(), 0);
    AnchorBlock* b = anchor_block(seg.memory());
    ASSERT_NE(b, nullptr);
    b->size = sizeof(AnchorBlock) + 8;  // written by another build of the module
    EXPECT_EQ(anchor_block(seg.memory()), nullptr);
    b->size = sizeof(AnchorBlock);
    b->magic = 0x12345678;
    EXPECT_EQ(anchor_block(seg.memory()), nullptr);
}

TEST(AnchorBlock, InitOverAnOldBlockResetsEverything) {
    Segment seg;
    anchor_init(seg.memory(), 1);
    AnchorBlock* b = anchor_block(seg.memory());
    b->retiring.store(1);
    anchor_note_removal(*b, 42, 100);
    anchor_init(seg.memory(), 2);
    b = anchor_block(seg.memory());
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->live_generation.load(), 2);
    EXPECT_EQ(b->retiring.load(), 0u);
    EXPECT_EQ(b->removal_reported.load(), 0u);
    EXPECT_EQ(b->removal_count.load(), 0u);
    EXPECT_EQ(b->removed_semids[0].load(), -1);
}

TEST(AnchorNoteRemoval, NotesEachSetOnceAndKeepsTheFirstTime) {
    Segment seg;
    anchor_init(seg.memory(), 1);
    AnchorBlock& b = *anchor_block(seg.memory());
    anchor_note_removal(b, 98304, 1700000100);
    // The same set seen by another child, and another set.
    anchor_note_removal(b, 98304, 1700000101);
    anchor_note_removal(b, 131073, 1700000102);
    EXPECT_EQ(b.removal_count.load(), 2u) << "the same semid is noted once";
    EXPECT_EQ(b.removed_semids[0].load(), 98304);
    EXPECT_EQ(b.removed_semids[1].load(), 131073);
    EXPECT_EQ(b.removed_semids[2].load(), -1);
    EXPECT_EQ(b.removal_detected_at.load(), 1700000100) << "the first detection's time stays";
}

TEST(AnchorNoteRemoval, FillBeyondSixteen) {
    Segment seg;
    anchor_init(seg.memory(), 1);
    AnchorBlock& b = *anchor_block(seg.memory());
    for (int i = 0; i < kAnchorMaxRemovals + 4; ++i) anchor_note_removal(b, 1000 + i, 50 + i);
    for (int i = 0; i < kAnchorMaxRemovals; ++i) EXPECT_EQ(b.removed_semids[i].load(), 1000 + i);
    EXPECT_GE(b.removal_count.load(), static_cast<uint32_t>(kAnchorMaxRemovals));
    // Memory next to the block is never written.
    const unsigned char* after = seg.bytes + sizeof(AnchorBlock);
    for (size_t i = 0; i < 64; ++i) EXPECT_EQ(after[i], 0) << i;
    // Known ids among the first sixteen are still recognised.
    const uint32_t count = b.removal_count.load();
    anchor_note_removal(b, 1000, 99);
    EXPECT_EQ(b.removal_count.load(), count);
    EXPECT_EQ(b.removal_detected_at.load(), 50);
}

// ---- once-per-run report claims ------------------------------------------------------

TEST(AnchorClaimReport, OneClaimantWhileItLivesThenDoneForGood) {
    std::atomic<uint32_t> claim{0};
    auto alive = [](pid_t) { return true; };
    EXPECT_TRUE(anchor_claim_report(claim, 101, alive));
    EXPECT_FALSE(anchor_claim_report(claim, 102, alive)) << "the holder lives: it writes";
    EXPECT_FALSE(anchor_claim_report(claim, 101, alive)) << "the holder itself: said already";
    anchor_report_written(claim);
    auto dead = [](pid_t) { return false; };
    EXPECT_FALSE(anchor_claim_report(claim, 103, dead)) << "written: nobody says it again";
}

TEST(AnchorClaimReport, AClaimantKilledBeforeWritingIsTakenOver) {
    // A child claimed the report and was SIGKILLed before its line was out.
    std::atomic<uint32_t> claim{0};
    ASSERT_TRUE(anchor_claim_report(claim, 201, [](pid_t) { return true; }));
    std::vector<pid_t> asked;
    auto gone = [&](pid_t pid) {
        asked.push_back(pid);
        return false;
    };
    EXPECT_TRUE(anchor_claim_report(claim, 202, gone));
    EXPECT_EQ(asked, std::vector<pid_t>{201});
    EXPECT_EQ(claim.load(), 202u);
    EXPECT_FALSE(anchor_claim_report(claim, 203, [](pid_t pid) { return pid == 202; }));
}

TEST(AnchorNoteRemoval, DetectionTimeZeroIsReplacedByTheNextOne) {
    // A caller without a clock (now == 0) does not block the next time stamp.
    Segment seg;
    anchor_init(seg.memory(), 1);
    AnchorBlock& b = *anchor_block(seg.memory());
    anchor_note_removal(b, 1, 0);
    anchor_note_removal(b, 2, 77);
    EXPECT_EQ(b.removal_detected_at.load(), 77);
}

}  // namespace
}  // namespace semguard

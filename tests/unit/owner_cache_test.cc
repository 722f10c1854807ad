// The page's owner breakdown, cached per process (issue #12): the host's sets
// are listed again only when SEM_INFO's figures or this server's sets changed,
// or after OwnerCache::kMaxAgeMs; bounded to the top owners plus "others".
#include <gtest/gtest.h>

#include "fake_kernel.h"
#include "status_model_samples.h"
#include "status/owner_cache.h"
#include "status/render_auto.h"
#include "status/render_html.h"
#include "status/render_json.h"
#include "status/render_metrics.h"
#include "status/status_model.h"

namespace semguard {
namespace {

std::string no_name(uid_t) { return ""; }

class OwnerCacheTest : public ::testing::Test {
protected:
    int make(uid_t uid, unsigned long nsems = 1) {
        auto id = kernel_.create_set(0, nsems, 0600, uid, uid, uid, uid, 4242);
        EXPECT_TRUE(id.ok());
        return id.ok() ? *id : -1;
    }
    // One request: SEM_INFO first, as collect_status does.
    OwnerBreakdown ask(int64_t now_ms, const std::set<int>& ours = {}) {
        auto u = kernel_.usage();
        EXPECT_TRUE(u.ok());
        OwnerBreakdown b;
        EXPECT_TRUE(
            cache_.breakdown(kernel_, u.ok() ? &u.value() : nullptr, ours, {}, now_ms, no_name, b));
        return b;
    }
    FakeSemKernel kernel_;
    OwnerCache cache_;
};

TEST_F(OwnerCacheTest, OneListingWhileNothingChanges) {
    for (int i = 0; i < 50; ++i) make(1000 + i % 5);
    const int before = kernel_.calls(FakeSemKernel::Op::ListSets);
    for (int request = 0; request < 100; ++request) {
        const OwnerBreakdown b = ask(10000 + request * 5);  // 100 requests in half a second
        ASSERT_EQ(b.total_owners, 5);
        ASSERT_EQ(b.rows[0].sets, 10);
    }
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::ListSets) - before, 1);
    EXPECT_EQ(cache_.listings(), 1);
}

TEST_F(OwnerCacheTest, ListedAgainWhenSemInfoChanges) {
    make(1000);
    EXPECT_EQ(ask(0).total_owners, 1);
    const int other = make(2000);  // sets in use +1
    EXPECT_EQ(ask(1).total_owners, 2);
    ASSERT_TRUE(kernel_.remove_set(other).ok());  // -1 again
    EXPECT_EQ(ask(2).total_owners, 1);
    make(3000, 4);  // semaphores in use change too
    const OwnerBreakdown b = ask(3);
    EXPECT_EQ(b.total_owners, 2);
    EXPECT_EQ(cache_.listings(), 4);
}

TEST_F(OwnerCacheTest, ListedAgainAfterTheMaximumAge) {
    const int id = make(1000);
    EXPECT_EQ(ask(0).rows[0].uid, 1000u);
    // Same figures, another owner: seen at the latest kMaxAgeMs later.
    ASSERT_TRUE(kernel_.set_owner(id, 2000, 2000, 0600).ok());
    EXPECT_EQ(ask(OwnerCache::kMaxAgeMs - 1).rows[0].uid, 1000u);  // the documented lag
    EXPECT_EQ(ask(OwnerCache::kMaxAgeMs).rows[0].uid, 2000u);
    EXPECT_EQ(cache_.listings(), 2);
    EXPECT_EQ(ask(-5).rows[0].uid, 2000u);  // a clock that went back: listed again
    EXPECT_EQ(cache_.listings(), 3);
}

TEST_F(OwnerCacheTest, ListedAgainWhenThisServersSetsChange) {
    const int a = make(1000);
    EXPECT_EQ(ask(0).rows[0].ours, 0);
    EXPECT_EQ(ask(1, {a}).rows[0].ours, 1);  // a restart recorded it: counted at once
    EXPECT_EQ(cache_.listings(), 2);
}

TEST_F(OwnerCacheTest, WithoutSemInfoEveryRequestLists) {
    make(1000);
    OwnerBreakdown b;
    EXPECT_TRUE(cache_.breakdown(kernel_, nullptr, {}, {}, 0, no_name, b));
    EXPECT_TRUE(cache_.breakdown(kernel_, nullptr, {}, {}, 1, no_name, b));
    EXPECT_EQ(cache_.listings(), 2);
}

TEST_F(OwnerCacheTest, AFailedListingIsNotCached) {
    make(1000);
    kernel_.fail_next(FakeSemKernel::Op::ListSets, EACCES);
    auto u = kernel_.usage().value();
    OwnerBreakdown b;
    EXPECT_FALSE(cache_.breakdown(kernel_, &u, {}, {}, 0, no_name, b));
    EXPECT_TRUE(cache_.breakdown(kernel_, &u, {}, {}, 1, no_name, b));
    EXPECT_EQ(b.total_owners, 1);
}

// 10,000 owners (one set each, plus a larger one): the page, ?json, ?auto and
// ?metrics show the top rows and one "others" row; nothing grows with the owners.
TEST_F(OwnerCacheTest, TenThousandOwnersAreBoundedInEveryFormat) {
    kernel_.set_limits(250, 1024000000, 500, 32000);
    for (int i = 0; i < 10000; ++i) make(10000 + i);
    make(5, 3);
    make(5, 3);
    int names_asked = 0;
    auto u = kernel_.usage().value();
    OwnerBreakdown b;
    ASSERT_TRUE(cache_.breakdown(
        kernel_, &u, {}, {}, 0,
        [&](uid_t) {
            ++names_asked;
            return std::string();
        },
        b));
    EXPECT_EQ(names_asked, static_cast<int>(kOwnerRowsShown));  // no lookup per owner
    ASSERT_EQ(b.rows.size(), kOwnerRowsShown + 1);
    EXPECT_EQ(b.total_owners, 10001);
    EXPECT_EQ(b.rows[0].owner, "5");
    EXPECT_EQ(b.rows[0].sets, 2);
    EXPECT_TRUE(b.rows.back().others);
    EXPECT_EQ(b.rows.back().owners, 10001 - static_cast<long>(kOwnerRowsShown));
    EXPECT_LT(describe_owners(b).size(), 1200u);  // what SG0110/SG0111 append

    StatusModel m = test::rich_status_model();
    m.owners.clear();
    m.owner_count = b.total_owners;
    for (const auto& r : b.rows)
        m.owners.push_back(
            {r.owner, r.uid, r.others, r.owners, r.sets, r.semaphores, r.ours, r.httpd_like});
    const RenderOptions opt;
    const std::string metrics = render_metrics(m, opt);
    size_t samples = 0;
    for (size_t at = 0; (at = metrics.find("\nsemguard_owner_sets{", at)) != std::string::npos;
         ++at)
        ++samples;
    EXPECT_EQ(samples, kOwnerRowsShown + 1);
    EXPECT_NE(metrics.find("semguard_owner_sets{owner=\"others\"} 9991"), std::string::npos);
    EXPECT_LT(render_json(m, opt).size(), 64u * 1024);
    EXPECT_LT(render_auto(m, opt).size(), 16u * 1024);
    EXPECT_LT(render_html(m, opt).size(), 128u * 1024);
}

}  // namespace
}  // namespace semguard

// project_need, certain_type and certain_process_lifetime_type: what httpd 2.4's
// modules create in which pass, and when a set's type can be named for certain.
#include "mutex/mutex_knowledge.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace semguard {
namespace {

MutexConfig sysv(const std::string& type) { return {type, "using_defaults", "sysvsem", ""}; }
MutexConfig other(const std::string& type, const std::string& mech) {
    return {type, mech, mech, ""};
}

// The reference configuration: Debian's apache2 with prefork, two Listen
// directives, `Mutex sysvsem default`, `SSLSessionCache shmcb:...` and a
// `RewriteMap ... prg:...`. mod_ssl registers its stapling types whether or
// not stapling is on.
std::vector<MutexConfig> reference_mutexes() {
    return {
        {"default", "sysvsem", "sysvsem", ""},
        sysv("mpm-accept"),
        sysv("rewrite-map"),
        sysv("ssl-cache"),
        sysv("ssl-stapling"),
        sysv("ssl-stapling-refresh"),
    };
}

ConfigFacts reference_facts() {
    ConfigFacts f;
    f.mpm = "prefork";
    f.listeners = 2;
    f.accept_buckets = 1;
    f.ssl_session_cache = "shmcb";
    f.ssl_stapling = false;
    f.rewrite_prg_map = true;
    f.modules = {"core.c", "prefork.c", "mod_ssl.c", "mod_rewrite.c", "mod_socache_shmcb.c"};
    return f;
}

// The totals of project_need with the per-type needs they add up.
struct Projected : Projection {
    std::vector<TypeNeed> per_type;
};

Projected project(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                  PassKind pass) {
    Projected p;
    static_cast<Projection&>(p) = project_need(mutexes, facts, pass);
    p.per_type = needs_by_type(mutexes, facts, pass);
    return p;
}

const TypeNeed* need_for(const Projected& p, const std::string& type) {
    for (const auto& n : p.per_type)
        if (n.type == type) return &n;
    return nullptr;
}

std::vector<std::string> types_in(const Projected& p) {
    std::vector<std::string> out;
    for (const auto& n : p.per_type) out.push_back(n.type);
    return out;
}

// ---- knowledge_of -------------------------------------------------------------

TEST(MutexKnowledge, KnowsHttpdsOwnTypes) {
    const TypeKnowledge* accept = knowledge_of("mpm-accept");
    ASSERT_NE(accept, nullptr);
    EXPECT_STREQ(accept->module, "prefork.c");
    EXPECT_EQ(accept->created_in, CreatedIn::OpenLogs);
    EXPECT_EQ(accept->lifetime, Lifetime::Config);

    const TypeKnowledge* cache = knowledge_of("ssl-cache");
    ASSERT_NE(cache, nullptr);
    EXPECT_STREQ(cache->module, "mod_ssl.c");
    EXPECT_EQ(cache->created_in, CreatedIn::PostConfig);
    EXPECT_EQ(cache->lifetime, Lifetime::Process);
    EXPECT_EQ(cache->passes, Passes::PreflightOnly);

    const TypeKnowledge* map = knowledge_of("rewrite-map");
    ASSERT_NE(map, nullptr);
    EXPECT_EQ(map->lifetime, Lifetime::Config);
    EXPECT_EQ(map->passes, Passes::Every);

    EXPECT_EQ(knowledge_of("mod-foo-lock"), nullptr);
    EXPECT_EQ(knowledge_of(""), nullptr);
}

// ---- project_need -----------------------------------------------------------

TEST(ProjectNeed, ReferencePreflightNeedsThree) {
    const Projected p = project(reference_mutexes(), reference_facts(), PassKind::Preflight);
    EXPECT_EQ(p.arrays, 3);
    EXPECT_EQ(p.semaphores, 3);
    EXPECT_TRUE(p.exact);
    EXPECT_EQ(types_in(p), (std::vector<std::string>{"mpm-accept", "rewrite-map", "ssl-cache"}));
    for (const auto& n : p.per_type) {
        EXPECT_EQ(n.sets, 1) << n.type;
        EXPECT_TRUE(n.certain) << n.type;
    }
}

TEST(ProjectNeed, ReferenceFirstRealNeedsTwoBecauseSslCacheLivesInTheProcessPool) {
    const Projected p = project(reference_mutexes(), reference_facts(), PassKind::FirstReal);
    EXPECT_EQ(p.arrays, 2);
    EXPECT_EQ(p.semaphores, 2);
    EXPECT_TRUE(p.exact);
    EXPECT_EQ(types_in(p), (std::vector<std::string>{"mpm-accept", "rewrite-map"}));
    EXPECT_EQ(need_for(p, "ssl-cache"), nullptr);
}

TEST(ProjectNeed, ReferenceRestartNeedsTwo) {
    const Projected p = project(reference_mutexes(), reference_facts(), PassKind::Restart);
    EXPECT_EQ(p.arrays, 2);
    EXPECT_TRUE(p.exact);
}

TEST(ProjectNeed, EventMpmHasNoAcceptMutex) {
    ConfigFacts f = reference_facts();
    f.mpm = "event";
    const Projected p = project(reference_mutexes(), f, PassKind::Preflight);
    EXPECT_EQ(p.arrays, 2);
    EXPECT_EQ(need_for(p, "mpm-accept"), nullptr);
    EXPECT_TRUE(p.exact);
}

TEST(ProjectNeed, WorkerMpmHasOne) {
    ConfigFacts f = reference_facts();
    f.mpm = "worker";
    const Projected p = project(reference_mutexes(), f, PassKind::FirstReal);
    ASSERT_NE(need_for(p, "mpm-accept"), nullptr);
    EXPECT_EQ(need_for(p, "mpm-accept")->sets, 1);
}

TEST(ProjectNeed, OneListenerNeedsNoAcceptMutex) {
    ConfigFacts f = reference_facts();
    f.listeners = 1;
    const Projected p = project(reference_mutexes(), f, PassKind::Preflight);
    EXPECT_EQ(p.arrays, 2);
    EXPECT_EQ(need_for(p, "mpm-accept"), nullptr);
}

TEST(ProjectNeed, AcceptMutexPerListenBucket) {
    ConfigFacts f = reference_facts();
    f.accept_buckets = 4;
    const Projected p = project(reference_mutexes(), f, PassKind::FirstReal);
    ASSERT_NE(need_for(p, "mpm-accept"), nullptr);
    EXPECT_EQ(need_for(p, "mpm-accept")->sets, 4);
    EXPECT_EQ(p.arrays, 5);
    EXPECT_EQ(p.semaphores, 5);
}

TEST(ProjectNeed, MemcacheSessionCacheNeedsNoMutex) {
    for (const char* provider : {"memcache", "redis", "none", "", "shmht", "nonenotnull"}) {
        ConfigFacts f = reference_facts();
        f.ssl_session_cache = provider;
        const Projected p = project(reference_mutexes(), f, PassKind::Preflight);
        EXPECT_EQ(p.arrays, 2) << provider;
        EXPECT_TRUE(p.exact) << provider;
        EXPECT_EQ(need_for(p, "ssl-cache"), nullptr) << provider;
    }
    for (const char* provider : {"dbm", "dc"}) {
        ConfigFacts f = reference_facts();
        f.ssl_session_cache = provider;
        EXPECT_EQ(project(reference_mutexes(), f, PassKind::Preflight).arrays, 3) << provider;
    }
}

TEST(ProjectNeed, UnknownSessionCacheProviderIsCountedAndUncertain) {
    ConfigFacts f = reference_facts();
    f.ssl_session_cache = "fancycache";
    const Projected p = project(reference_mutexes(), f, PassKind::Preflight);
    EXPECT_EQ(p.arrays, 3);
    EXPECT_FALSE(p.exact);
    const TypeNeed* n = need_for(p, "ssl-cache");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(n->sets, 1);
    EXPECT_FALSE(n->certain);
}

TEST(ProjectNeed, UnknownRegisteredTypeCountsOneAndIsNotExact) {
    auto mutexes = reference_mutexes();
    mutexes.push_back(sysv("mod-foo-lock"));
    for (PassKind pass : {PassKind::Preflight, PassKind::FirstReal, PassKind::Restart}) {
        const Projected p = project(mutexes, reference_facts(), pass);
        const TypeNeed* n = need_for(p, "mod-foo-lock");
        ASSERT_NE(n, nullptr);
        EXPECT_EQ(n->sets, 1);
        EXPECT_FALSE(n->certain);
        EXPECT_FALSE(p.exact);
    }
    EXPECT_EQ(project(mutexes, reference_facts(), PassKind::Preflight).arrays, 4);
    EXPECT_EQ(project(mutexes, reference_facts(), PassKind::FirstReal).arrays, 3);
}

TEST(ProjectNeed, NonSysvTypesAreIgnored) {
    auto mutexes = reference_mutexes();
    for (auto& m : mutexes)
        if (m.type == "rewrite-map" || m.type == "ssl-cache") m = other(m.type, "pthread");
    mutexes.push_back(other("mod-foo-lock", "pthread"));
    mutexes.push_back(other("proxy", "fcntl"));
    mutexes.push_back(other("authdigest-client", "none"));
    const Projected p = project(mutexes, reference_facts(), PassKind::Preflight);
    EXPECT_EQ(p.arrays, 1);
    EXPECT_TRUE(p.exact) << "an unknown type that does not use sysvsem makes nothing uncertain";
    EXPECT_EQ(types_in(p), (std::vector<std::string>{"mpm-accept"}));
}

TEST(ProjectNeed, AllPthreadNeedsNothing) {
    std::vector<MutexConfig> mutexes{{"default", "pthread", "pthread", ""},
                                     other("mpm-accept", "pthread"),
                                     other("ssl-cache", "pthread")};
    const Projected p = project(mutexes, reference_facts(), PassKind::Preflight);
    EXPECT_EQ(p.arrays, 0);
    EXPECT_EQ(p.semaphores, 0);
    EXPECT_TRUE(p.per_type.empty());
    EXPECT_TRUE(p.exact);
}

TEST(ProjectNeed, DefaultEntryIsNeverCounted) {
    std::vector<MutexConfig> mutexes{{"default", "sysvsem", "sysvsem", ""}};
    EXPECT_EQ(project(mutexes, reference_facts(), PassKind::Preflight).arrays, 0);
}

TEST(ProjectNeed, RewriteMapOnlyWithAPrgMap) {
    ConfigFacts f = reference_facts();
    f.rewrite_prg_map = false;
    const Projected p = project(reference_mutexes(), f, PassKind::FirstReal);
    EXPECT_EQ(p.arrays, 1);
    EXPECT_EQ(need_for(p, "rewrite-map"), nullptr);
}

TEST(ProjectNeed, StaplingAddsRefreshAndACacheMutexForShmcb) {
    ConfigFacts f = reference_facts();
    f.ssl_stapling = true;
    f.ssl_stapling_cache = "shmcb";
    const Projected pre = project(reference_mutexes(), f, PassKind::Preflight);
    EXPECT_EQ(pre.arrays, 5);
    ASSERT_NE(need_for(pre, "ssl-stapling"), nullptr);
    ASSERT_NE(need_for(pre, "ssl-stapling-refresh"), nullptr);
    // Both live in the process pool: nothing new in the real pass.
    const Projected real = project(reference_mutexes(), f, PassKind::FirstReal);
    EXPECT_EQ(real.arrays, 2);

    f.ssl_stapling_cache = "memcache";
    const Projected mc = project(reference_mutexes(), f, PassKind::Preflight);
    EXPECT_EQ(mc.arrays, 4);
    EXPECT_EQ(need_for(mc, "ssl-stapling"), nullptr);
    EXPECT_NE(need_for(mc, "ssl-stapling-refresh"), nullptr);
}

TEST(ProjectNeed, ProxyBalancerAndDigestNotInPreflight) {
    std::vector<MutexConfig> mutexes{sysv("proxy-balancer-shm"), sysv("authdigest-client"),
                                     sysv("authdigest-opaque")};
    ConfigFacts f = reference_facts();
    f.proxy_balancers = 3;
    EXPECT_EQ(project(mutexes, f, PassKind::Preflight).arrays, 0);
    EXPECT_EQ(project(mutexes, f, PassKind::FirstReal).arrays, 5);
    EXPECT_EQ(project(mutexes, f, PassKind::Restart).arrays, 5);
}

// ---- certain_type -----------------------------------------------------------

const std::vector<WindowHook> kOpenLogsPrefork{{"prefork.c", CreatedIn::OpenLogs}};
const std::vector<WindowHook> kPostConfigSslRewrite{{"mod_ssl.c", CreatedIn::PostConfig},
                                                    {"mod_rewrite.c", CreatedIn::PostConfig}};

TEST(CertainType, PreforkOpenLogsWindowWithOneSetIsTheAcceptMutex) {
    for (PassKind pass : {PassKind::Preflight, PassKind::FirstReal, PassKind::Restart}) {
        EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), pass, kOpenLogsPrefork, 1),
                  "mpm-accept");
    }
}

TEST(CertainType, WorkerOpenLogsWindowIsTheAcceptMutexToo) {
    ConfigFacts f = reference_facts();
    f.mpm = "worker";
    EXPECT_EQ(certain_type(reference_mutexes(), f, PassKind::FirstReal,
                           {{"worker.c", CreatedIn::OpenLogs}}, 1),
              "mpm-accept");
}

TEST(CertainType, PreflightPostConfigWithSslAndRewriteIsAmbiguous) {
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::Preflight,
                           kPostConfigSslRewrite, 2),
              "");
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::Preflight,
                           kPostConfigSslRewrite, 1),
              "");
}

TEST(CertainType, FirstRealPostConfigWithOneSetIsTheRewriteMap) {
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal,
                           kPostConfigSslRewrite, 1),
              "rewrite-map");
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::Restart,
                           kPostConfigSslRewrite, 1),
              "rewrite-map");
}

TEST(CertainType, HookInTheWrongPhaseDoesNotCount) {
    // mod_rewrite's open_logs hook does not create its map mutex.
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal,
                           {{"mod_rewrite.c", CreatedIn::OpenLogs}}, 1),
              "");
    // prefork creates the accept mutex in open_logs, not post_config.
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal,
                           {{"prefork.c", CreatedIn::PostConfig}}, 1),
              "");
}

TEST(CertainType, UnknownModuleAndUnknownSysvTypeMakeItAmbiguous) {
    auto mutexes = reference_mutexes();
    mutexes.push_back(sysv("mod-foo-lock"));
    std::vector<WindowHook> window = kPostConfigSslRewrite;
    window.push_back({"mod_foo.c", CreatedIn::PostConfig});
    EXPECT_EQ(certain_type(mutexes, reference_facts(), PassKind::FirstReal, window, 1), "");
    // Without the unknown module in the window, the unknown type is no candidate.
    EXPECT_EQ(
        certain_type(mutexes, reference_facts(), PassKind::FirstReal, kPostConfigSslRewrite, 1),
        "rewrite-map");
}

TEST(CertainType, UnknownModuleAloneDoesNotMakeAKnownTypeUncertain) {
    std::vector<WindowHook> window = kOpenLogsPrefork;
    window.push_back({"mod_foo.c", CreatedIn::OpenLogs});
    // No unknown sysv type is registered: mod_foo cannot have made a set of any.
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal, window, 1),
              "mpm-accept");
    // ... but two sets are more than prefork makes.
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal, window, 2),
              "");
}

TEST(CertainType, CountAboveTheOneCandidatesCountIsAmbiguous) {
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal,
                           kOpenLogsPrefork, 2),
              "");
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal,
                           kPostConfigSslRewrite, 2),
              "");
    ConfigFacts f = reference_facts();
    f.accept_buckets = 2;
    EXPECT_EQ(certain_type(reference_mutexes(), f, PassKind::FirstReal, kOpenLogsPrefork, 2),
              "mpm-accept");
    EXPECT_EQ(certain_type(reference_mutexes(), f, PassKind::FirstReal, kOpenLogsPrefork, 3), "");
}

TEST(CertainType, NoCandidateGivesEmpty) {
    EXPECT_EQ(certain_type(reference_mutexes(), reference_facts(), PassKind::FirstReal, {}, 1), "");
    ConfigFacts f = reference_facts();
    f.listeners = 1;  // prefork makes no accept mutex at all
    EXPECT_EQ(certain_type(reference_mutexes(), f, PassKind::FirstReal, kOpenLogsPrefork, 1), "");
}

TEST(CertainType, PthreadTypesAreNoCandidates) {
    auto mutexes = reference_mutexes();
    for (auto& m : mutexes)
        if (m.type == "ssl-cache") m = other("ssl-cache", "pthread");
    EXPECT_EQ(
        certain_type(mutexes, reference_facts(), PassKind::Preflight, kPostConfigSslRewrite, 1),
        "rewrite-map");
}

// ---- certain_process_lifetime_type ------------------------------------------------

TEST(CertainProcessLifetimeType, ReferenceConfigIsTheSslCache) {
    EXPECT_EQ(certain_process_lifetime_type(reference_mutexes(), reference_facts(), 1),
              "ssl-cache");
    // Two surviving sets are more than the session cache makes.
    EXPECT_EQ(certain_process_lifetime_type(reference_mutexes(), reference_facts(), 2), "");
}

TEST(CertainProcessLifetimeType, StaplingMakesRefreshACandidate) {
    ConfigFacts f = reference_facts();
    f.ssl_stapling = true;
    f.ssl_stapling_cache = "memcache";
    EXPECT_EQ(certain_process_lifetime_type(reference_mutexes(), f, 1), "");
    f.ssl_stapling_cache = "shmcb";
    EXPECT_EQ(certain_process_lifetime_type(reference_mutexes(), f, 1), "");
}

TEST(CertainProcessLifetimeType, NoProcessLifetimeCandidate) {
    ConfigFacts f = reference_facts();
    f.ssl_session_cache = "memcache";
    EXPECT_EQ(certain_process_lifetime_type(reference_mutexes(), f, 1), "");
}

TEST(CertainProcessLifetimeType, UnknownSysvTypeIsACandidate) {
    auto mutexes = reference_mutexes();
    mutexes.push_back(sysv("mod-foo-lock"));
    EXPECT_EQ(certain_process_lifetime_type(mutexes, reference_facts(), 1), "");
}

// A singleton watchdog (mod_proxy_hcheck, mod_md, mod_heartmonitor) creates its
// watchdog-callback mutex in mod_watchdog's pool, under the process pool, from
// the first real pass on (not in the preflight). Such a set survives every
// reload exactly like the session cache's, so a surviving set of unknown type
// may be either: naming it "ssl-cache" would be a guess.
TEST(CertainProcessLifetimeType, SingletonWatchdogIsAlsoACandidate) {
    auto mutexes = reference_mutexes();
    mutexes.push_back(sysv("watchdog-callback"));
    ConfigFacts f = reference_facts();
    f.modules.insert("mod_watchdog.c");
    f.modules.insert("mod_proxy_hcheck.c");
    // Projection agrees that the real pass makes one (uncertain) watchdog set.
    const Projected real = project(mutexes, f, PassKind::FirstReal);
    ASSERT_NE(need_for(real, "watchdog-callback"), nullptr);
    EXPECT_EQ(certain_process_lifetime_type(mutexes, f, 1), "");
}

}  // namespace
}  // namespace semguard

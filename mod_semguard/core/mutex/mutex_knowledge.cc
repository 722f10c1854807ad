#include "mutex/mutex_knowledge.h"

#include <algorithm>

namespace semguard {

namespace {

// Read from httpd 2.4's sources (util_mutex.c callers). Types not listed here are
// treated as unknown: counted as one set, and never named as a set's type unless
// the window they could appear in holds no other candidate.
const TypeKnowledge kKnown[] = {
    {"mpm-accept", "prefork.c", CreatedIn::OpenLogs, Lifetime::Config, Passes::Every},
    {"ssl-cache", "mod_ssl.c", CreatedIn::PostConfig, Lifetime::Process, Passes::PreflightOnly},
    {"ssl-stapling", "mod_ssl.c", CreatedIn::PostConfig, Lifetime::Process, Passes::PreflightOnly},
    {"ssl-stapling-refresh", "mod_ssl.c", CreatedIn::PostConfig, Lifetime::Process,
     Passes::PreflightOnly},
    {"rewrite-map", "mod_rewrite.c", CreatedIn::PostConfig, Lifetime::Config, Passes::Every},
    {"proxy", "mod_proxy.c", CreatedIn::PostConfig, Lifetime::Config, Passes::Every},
    {"proxy-balancer-shm", "mod_proxy_balancer.c", CreatedIn::PostConfig, Lifetime::Config,
     Passes::NotPreflight},
    {"authdigest-client", "mod_auth_digest.c", CreatedIn::PostConfig, Lifetime::Config,
     Passes::NotPreflight},
    {"authdigest-opaque", "mod_auth_digest.c", CreatedIn::PostConfig, Lifetime::Config,
     Passes::NotPreflight},
    // Only for singleton watchdogs, which mod_proxy_hcheck, mod_md and
    // mod_heartmonitor register; the pool is mod_watchdog's own, under the process pool.
    {"watchdog-callback", "mod_watchdog.c", CreatedIn::PostConfig, Lifetime::Process,
     Passes::NotPreflight},
};

bool has_singleton_watchdog_user(const ConfigFacts& f) {
    for (const char* m : {"mod_proxy_hcheck.c", "mod_md.c", "mod_heartmonitor.c"})
        if (f.modules.count(m)) return true;
    return false;
}

// Socache providers whose operations are not safe across processes, so the
// user of the cache creates a mutex for them (AP_SOCACHE_FLAG_NOTMPSAFE).
bool provider_needs_mutex(const std::string& provider) {
    return provider == "shmcb" || provider == "dbm" || provider == "dc";
}

bool provider_known(const std::string& provider) {
    return provider.empty() || provider == "none" || provider == "nonenotnull" ||
           provider_needs_mutex(provider) || provider == "memcache" || provider == "redis" ||
           provider == "shmht";
}

bool knowledge_of_module(const std::string& module) {
    if (module == "worker.c" || module == "prefork.c") return true;
    for (const auto& k : kKnown)
        if (module == k.module) return true;
    return false;
}

bool pass_allows(Passes passes, PassKind pass) {
    switch (passes) {
        case Passes::Every: return true;
        case Passes::PreflightOnly: return pass == PassKind::Preflight;
        case Passes::NotPreflight: return pass != PassKind::Preflight;
    }
    return true;
}

bool is_accept_mutex_mpm(const std::string& mpm) { return mpm == "prefork" || mpm == "worker"; }

// Sets the type creates in one pass; certain=false when the facts cannot tell.
TypeNeed need_of(const std::string& type, const ConfigFacts& f, PassKind pass) {
    TypeNeed n{type, 0, true};
    const TypeKnowledge* k = knowledge_of(type);
    if (!k) {
        n.sets = 1;
        n.certain = false;
        return n;
    }
    if (!pass_allows(k->passes, pass)) return n;
    if (type == "mpm-accept") {
        // One listener needs no serialization on Linux (SINGLE_LISTEN_UNSERIALIZED_ACCEPT).
        if (is_accept_mutex_mpm(f.mpm) && f.listeners > 1) n.sets = std::max(1, f.accept_buckets);
    } else if (type == "ssl-cache") {
        if (!provider_known(f.ssl_session_cache)) n.certain = false;
        n.sets = provider_needs_mutex(f.ssl_session_cache) || !n.certain ? 1 : 0;
    } else if (type == "ssl-stapling") {
        if (f.ssl_stapling && !provider_known(f.ssl_stapling_cache)) n.certain = false;
        n.sets = f.ssl_stapling && (provider_needs_mutex(f.ssl_stapling_cache) || !n.certain);
    } else if (type == "ssl-stapling-refresh") {
        n.sets = f.ssl_stapling ? 1 : 0;
    } else if (type == "rewrite-map") {
        n.sets = f.rewrite_prg_map ? 1 : 0;
    } else if (type == "watchdog-callback") {
        // How many singletons those modules start cannot be told from here.
        if (has_singleton_watchdog_user(f)) {
            n.sets = 1;
            n.certain = false;
        }
    } else if (type == "proxy-balancer-shm") {
        n.sets = f.proxy_balancers;
    } else {
        n.sets = 1;  // created whenever the module is loaded
    }
    return n;
}

bool hook_ran(const std::vector<WindowHook>& window, const char* module, CreatedIn phase) {
    return std::any_of(window.begin(), window.end(),
                       [&](const WindowHook& h) { return h.module == module && h.phase == phase; });
}

bool module_is_known_creator(const std::string& module) {
    if (module == "worker.c") return true;
    for (const auto& k : kKnown)
        if (module == k.module) return true;
    return false;
}

// Every module whose post_config may create a mutex: the known types' creators,
// and modules that create mutexes through a type we do not model (socache users).
const char* const kMutexCreators[] = {
    "mod_ssl.c",         "mod_rewrite.c",  "mod_proxy.c",         "mod_proxy_balancer.c",
    "mod_auth_digest.c", "mod_watchdog.c", "mod_authn_socache.c", "mod_cache_socache.c",
    "util_ldap.c",       "mod_lua.c",      "mod_socache_shmcb.c", nullptr};

// Modules of httpd 2.4 whose hooks create no mutex (read from their sources):
// their presence in a window does not hide the creator of a set.
// clang-format off
const char* const kNoMutex[] = {
    "core.c",          "http_core.c",       "mod_so.c",          "mod_unixd.c",
    "mod_log_config.c", "mod_logio.c",      "mod_mime.c",        "mod_status.c",
    "mod_dir.c",       "mod_authz_core.c",  "mod_authz_host.c",  "mod_authz_user.c",
    "mod_authn_core.c", "mod_authn_file.c", "mod_auth_basic.c",  "mod_access_compat.c",
    "mod_alias.c",     "mod_env.c",         "mod_setenvif.c",    "mod_headers.c",
    "mod_filter.c",    "mod_deflate.c",     "mod_negotiation.c", "mod_autoindex.c",
    "mod_reqtimeout.c", "mod_version.c",    "mod_info.c",        "mod_cgi.c",
    "mod_cgid.c",      "mod_mime_magic.c",  "mod_expires.c",     "mod_socache_shmcb.c",
    "mod_socache_dbm.c", "mod_socache_memcache.c", "mod_socache_redis.c",
    "event.c",         "mod_semguard.cc",   "mod_semguard.c",    nullptr};
// clang-format on

bool in_list(const char* const* list, const std::string& module) {
    for (; *list; ++list)
        if (module == *list) return true;
    return false;
}

}  // namespace

const char* const* mutex_creating_modules() { return kMutexCreators; }

bool module_creates_no_mutex(const std::string& module) { return in_list(kNoMutex, module); }

bool module_unexplained(const std::string& module) {
    return !module.empty() && !module_is_known_creator(module) &&
           !module_creates_no_mutex(module) && !in_list(kMutexCreators, module);
}

std::string certain_module(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                           PassKind pass, const std::vector<WindowHook>& window, int count) {
    if (count <= 0) return "";
    const std::string type = certain_type(mutexes, facts, pass, window, count);
    if (!type.empty()) {
        if (type == "mpm-accept")
            return hook_ran(window, "worker.c", CreatedIn::OpenLogs) ? "worker.c" : "prefork.c";
        const TypeKnowledge* k = knowledge_of(type);
        return k ? k->module : "";
    }
    // A known creator in the window may have made some of them.
    std::vector<std::string> unexplained;
    for (const auto& h : window) {
        if (!module_unexplained(h.module)) {
            if (module_creates_no_mutex(h.module)) continue;
            // A known creator: could it have made a set in this pass?
            bool could = h.module == "worker.c" || h.module == "prefork.c";
            for (const auto& m : mutexes) {
                if (m.type == "default" || !m.sysv()) continue;
                const TypeKnowledge* k = knowledge_of(m.type);
                if (!k || h.module != k->module || k->created_in != h.phase) continue;
                if (!pass_allows(k->passes, pass)) continue;
                const TypeNeed n = need_of(m.type, facts, pass);
                if (n.sets > 0 || !n.certain) could = true;
            }
            // A creator of types we do not model (mod_lua, util_ldap, ...) always could.
            if (!knowledge_of_module(h.module)) could = true;
            if (could) return "";
            continue;
        }
        if (std::find(unexplained.begin(), unexplained.end(), h.module) == unexplained.end())
            unexplained.push_back(h.module);
    }
    return unexplained.size() == 1 ? unexplained.front() : "";
}

const TypeKnowledge* knowledge_of(const std::string& type) {
    for (const auto& k : kKnown)
        if (type == k.type) return &k;
    return nullptr;
}

std::vector<TypeNeed> needs_by_type(const std::vector<MutexConfig>& mutexes,
                                    const ConfigFacts& facts, PassKind pass) {
    std::vector<TypeNeed> out;
    for (const auto& m : mutexes) {
        if (m.type == "default" || !m.sysv()) continue;
        TypeNeed n = need_of(m.type, facts, pass);
        if (n.sets == 0 && n.certain) continue;
        out.push_back(n);
    }
    return out;
}

Projection project_need(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                        PassKind pass) {
    Projection p;
    for (const TypeNeed& n : needs_by_type(mutexes, facts, pass)) {
        if (!n.certain) p.exact = false;
        p.arrays += n.sets;
        p.semaphores += n.sets;
    }
    return p;
}

std::string certain_type(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                         PassKind pass, const std::vector<WindowHook>& window, int count) {
    // An unknown module in the window may create any type we know nothing about.
    const bool unknown_module_in_window =
        std::any_of(window.begin(), window.end(),
                    [](const WindowHook& h) { return !module_is_known_creator(h.module); });
    std::vector<std::string> candidates;
    int expected = 0;
    for (const auto& m : mutexes) {
        if (m.type == "default" || !m.sysv()) continue;
        const TypeKnowledge* k = knowledge_of(m.type);
        if (!k) {
            if (unknown_module_in_window) candidates.push_back(m.type);
            continue;
        }
        const bool creator_ran =
            hook_ran(window, k->module, k->created_in) ||
            (m.type == "mpm-accept" && hook_ran(window, "worker.c", k->created_in));
        if (!creator_ran || !pass_allows(k->passes, pass)) continue;
        TypeNeed n = need_of(m.type, facts, pass);
        if (n.sets == 0 && n.certain) continue;
        candidates.push_back(m.type);
        expected = n.certain ? n.sets : -1;
    }
    if (candidates.size() != 1) return "";
    // More sets than the one candidate makes means something else created some.
    if (expected >= 0 && count > expected) return "";
    return candidates.front();
}

std::string certain_process_lifetime_type(const std::vector<MutexConfig>& mutexes,
                                          const ConfigFacts& facts, int count) {
    std::vector<std::string> candidates;
    int expected = 0;
    for (const auto& m : mutexes) {
        if (m.type == "default" || !m.sysv()) continue;
        const TypeKnowledge* k = knowledge_of(m.type);
        if (k && k->lifetime != Lifetime::Process) continue;
        // The set may come from any pass: mod_ssl's in the first, mod_watchdog's later.
        const TypeNeed first = need_of(m.type, facts, PassKind::Preflight);
        const TypeNeed later = need_of(m.type, facts, PassKind::FirstReal);
        const bool certain = first.certain && later.certain;
        const int sets = first.sets + later.sets;
        if (k && sets == 0 && certain) continue;
        candidates.push_back(m.type);
        expected = (k && certain) ? sets : -1;
    }
    if (candidates.size() != 1) return "";
    if (expected >= 0 && count > expected) return "";
    return candidates.front();
}

}  // namespace semguard

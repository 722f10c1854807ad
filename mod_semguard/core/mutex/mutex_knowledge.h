// What httpd 2.4's own modules do with the mutex types they register: which hook
// creates the mutex, in which pool it lives, and under which configuration. This
// is how the engine projects a configuration's need before any set exists, and
// how it names a set's type only when nothing else could have created it.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "mutex/mutex_config.h"

namespace semguard {

// Configuration facts the glue reads from httpd's parsed configuration tree.
struct ConfigFacts {
    std::string mpm;                 // ap_show_mpm(): "prefork", "worker", "event"
    int listeners = 0;               // Listen directives
    int accept_buckets = 1;          // from ListenCoresBucketsRatio and the CPU count
    std::string ssl_session_cache;   // SSLSessionCache provider ("shmcb", "none", "" = unset)
    bool ssl_stapling = false;       // SSLUseStapling On anywhere
    std::string ssl_stapling_cache;  // SSLStaplingCache provider
    bool rewrite_prg_map = false;    // any RewriteMap of type prg
    int proxy_balancers = 0;         // <Proxy balancer://...> sections
    std::set<std::string> modules;   // loaded module file names, "mod_ssl.c", "prefork.c", ...
};

enum class CreatedIn { OpenLogs, PostConfig };
enum class Lifetime { Config, Process };  // pconf: every generation; process pool: once per run
// PreflightOnly: made in the preflight pass only (mod_ssl's process-pool mutexes,
// kept for the whole run); NotPreflight: skipped in the preflight pass.
enum class Passes { Every, PreflightOnly, NotPreflight };

struct TypeKnowledge {
    const char* type;
    const char* module;  // the module that creates it, as hooks name it
    CreatedIn created_in;
    Lifetime lifetime;
    Passes passes;
};

const TypeKnowledge* knowledge_of(const std::string& type);

// How many sets one type will create in a pass; -1 = cannot tell (counted as 1).
struct TypeNeed {
    std::string type;
    int sets = 0;
    bool certain = true;
};

struct Projection {
    long arrays = 0;
    long semaphores = 0;  // APR's sysvsem sets hold one semaphore each
    bool exact = true;    // false when a type of unknown behaviour is counted as one
};

enum class PassKind { Preflight, FirstReal, Restart };

// Each SysV type that creates sets in this pass (or may: not certain), in
// configuration order.
std::vector<TypeNeed> needs_by_type(const std::vector<MutexConfig>& mutexes,
                                    const ConfigFacts& facts, PassKind pass);

// The sets a pass of this configuration will create with SysV semaphores: the
// sum of needs_by_type.
Projection project_need(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                        PassKind pass);

// A hook that ran between two of our snapshots: the module that registered it
// (as httpd names it, "mod_ssl.c") and the phase.
struct WindowHook {
    std::string module;
    CreatedIn phase;
};

// The only mutex type that can have created the `count` sets that appeared while
// `window` ran, or "" when more than one type (or an unknown one) could have.
std::string certain_type(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                         PassKind pass, const std::vector<WindowHook>& window, int count);

// The module that created the `count` sets that appeared while `window` ran,
// when the window pins it down: the known creator of certain_type's answer, or
// the one module in the window that is neither a known creator nor a module of
// httpd's that makes no mutex. "" otherwise.
std::string certain_module(const std::vector<MutexConfig>& mutexes, const ConfigFacts& facts,
                           PassKind pass, const std::vector<WindowHook>& window, int count);

// Every module known to create a mutex in post_config (nullptr-terminated, as
// APR's hook ordering wants it): the one list, used for the order of our hooks too.
const char* const* mutex_creating_modules();

// True for modules of httpd's distribution that create no mutex at all.
bool module_creates_no_mutex(const std::string& module);

// True when `module` may create mutexes outside anything this file knows.
bool module_unexplained(const std::string& module);

// The only type that can own a set that survived a configuration reload, or "".
// The caller leaves out sets made while a module unknown to this file ran.
std::string certain_process_lifetime_type(const std::vector<MutexConfig>& mutexes,
                                          const ConfigFacts& facts, int count);

}  // namespace semguard

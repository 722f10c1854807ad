#include "diagnosis_glue.h"

#include <pwd.h>

#include <string>
#include <vector>

#include "apr_strings.h"
#include "http_log.h"
#include "util_mutex.h"

#include "config/legacy_directives.h"
#include "diagnosis/removeipc.h"
#include "diagnosis/sysv_usable.h"
#include "log/messages.h"
#include "log_adapter.h"
#include "mod_semguard.h"

APLOG_USE_MODULE(semguard);

namespace semguard {
namespace glue {

bool sysv_unusable_stops_pass(const PassInput& in, SemKernel& kernel, Logger& log) {
    std::vector<std::string> remedies = in.alternatives;
#if APR_HAS_POSIXSEM_SERIALIZE
    remedies.push_back("posixsem");
#endif
    const SysvUsability u = check_sysv_usable(kernel, in.mutexes, remedies);
    if (u.usable) return false;
    log.log(Level::Emerg, tag::kSysvUnusable, u.failure);
    if (!in.settings.refuse_start) return false;
    log.log(Level::Emerg, tag::kRefuseStart,
            "SemGuardRefuseStart On: not starting, no mutex of this pass has been created "
            "(httpd then reports \"Unable to open logs\": AH00015 at a start, AH00019 at a "
            "restart)");
    return true;
}

namespace {
PasswdFacts passwd_of(uid_t uid) {
    PasswdFacts f;
    struct passwd pw, *found = nullptr;
    std::vector<char> buf(16384);
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found) {
        f.found = true;
        f.name = pw.pw_name ? pw.pw_name : "";
        f.shell = pw.pw_shell ? pw.pw_shell : "";
    }
    return f;
}
}  // namespace

void diagnose_removeipc(const PassInput& in, RunMemory& mem, Logger& log) {
    if (in.kind == PassKind::Preflight) return;
    RemoveIpcInput ri;
    ri.user_known = in.user_known;
    ri.uid = in.user_uid;
    if (in.user_known) ri.passwd = passwd_of(in.user_uid);
    ri.protect = in.settings.protect;
    RealSystemFiles files;
    const RemoveIpcVerdict v = assess_removeipc(ri, files);
    // Once per run: a restart under the same conditions says nothing new.
    if (!remember_removeipc(mem.diagnosis, v)) return;
    for (const auto& p : v.problems) log.log(Level::Warn, tag::kRemoveIpcUnread, p);
    if (!v.warning.empty()) log.log(Level::Warn, tag::kRemoveIpcRisk, v.warning);
    if (!v.protected_note.empty())
        log.log(Level::Notice, tag::kRemoveIpcProtected, v.protected_note);
}

const char* set_legacy_lock(cmd_parms* cmd, void* dummy, const char* arg) {
    const char* name = static_cast<const char*>(cmd->info);
    const LegacyTranslation t = translate_legacy_lock(name, arg ? arg : "");
    if (!t.ok)
        return apr_pstrcat(cmd->pool, t.error.c_str(),
                           " (an httpd 2.2 directive; httpd 2.4 uses Mutex, see "
                           "https://httpd.apache.org/docs/2.4/mod/core.html#mutex)",
                           nullptr);
    // Through httpd's own Mutex handling: the same checks, the same table.
    const char* err = ap_set_mutex(cmd, dummy, apr_pstrdup(cmd->pool, t.mutex_args.c_str()));
    const std::string where = cmd->directive && cmd->directive->filename
                                  ? std::string(" (") + cmd->directive->filename + ":" +
                                        std::to_string(cmd->directive->line_num) + ")"
                                  : std::string();
    if (err) {
        // A mutex type of a module that is not loaded (SSLMutex without mod_ssl):
        // httpd 2.2 would not have known the directive either; nothing to apply.
        const std::string why(err);
        if (why.find("is not valid") != std::string::npos) {
            HttpdLogger(cmd->server)
                .log(Level::Warn, tag::kLegacyDirective,
                     std::string(name) + " " + arg + where +
                         " is an httpd 2.2 directive; its "
                         "2.4 form \"" +
                         t.line() + "\" does not apply here (" + why +
                         ": the module is not loaded), so it is ignored. Remove the line");
            return nullptr;
        }
        return apr_pstrcat(cmd->pool, name, " (httpd 2.2) as \"", t.line().c_str(), "\": ", err,
                           nullptr);
    }
    HttpdLogger(cmd->server)
        .log(Level::Warn, tag::kLegacyDirective,
             std::string(name) + " " + arg + where + " is an httpd 2.2 directive, applied as \"" +
                 t.line() + "\"" + (t.note.empty() ? "" : " (" + t.note + ")") +
                 ". Replace it with: " + t.line());
    return nullptr;
}

}  // namespace glue
}  // namespace semguard

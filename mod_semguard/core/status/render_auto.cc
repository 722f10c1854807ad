#include "status/render_auto.h"

#include <charconv>
#include <string_view>

#include "status/status_text.h"
#include "text/utf8_sanitize.h"

namespace semguard {

namespace {

// A key part taken from the model (a mutex type): anything outside the key
// alphabet becomes "_", so "Mutex-<script>" cannot break the line format.
std::string key_part(const std::string& text) {
    if (text.empty()) return "unknown";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        const bool allowed = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '_' || c == '-';
        out += allowed ? static_cast<char>(c) : '_';
    }
    return out;
}

// A value: valid UTF-8, one line. Control characters (CR, LF, NUL, ...) become
// spaces so a hostile ServerName cannot forge a line of its own.
bool printable_ascii(std::string_view text) {
    for (unsigned char c : text)
        if (c < 0x20 || c >= 0x7F) return false;
    return true;
}

std::string one_line(const std::string& text) {
    if (printable_ascii(text)) return text;  // already one line of valid UTF-8
    std::string clean = sanitize_utf8(text);
    for (char& c : clean) {
        const unsigned char u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F) c = ' ';
    }
    return clean;
}

// A word inside a Set- line's "name=value" list: no spaces and no "=".
std::string token(const std::string& text) {
    if (text.empty()) return "unknown";
    std::string out;
    for (unsigned char c : text) {
        const bool allowed = c > 0x20 && c < 0x7F && c != '=' && c != ',';
        out += allowed ? static_cast<char>(c) : '_';
    }
    return out;
}

class AutoWriter {
public:
    explicit AutoWriter(std::string& out) : out_(out) {}

    // Printable ASCII (almost every value) is already one line of valid UTF-8:
    // written as is, without the copies one_line makes.
    void text(const char* key, const std::string& value) {
        if (printable_ascii(value))
            put(key, value);
        else
            put(key, one_line(value));
    }
    void number(const char* key, long long value) {
        char buf[24];
        put(key, std::string_view(buf, static_cast<std::size_t>(
                                           std::to_chars(buf, buf + sizeof buf, value).ptr - buf)));
    }
    void unsigned_number(const char* key, unsigned long long value) {
        char buf[24];
        put(key, std::string_view(buf, static_cast<std::size_t>(
                                           std::to_chars(buf, buf + sizeof buf, value).ptr - buf)));
    }
    void flag(const char* key, bool value, const char* yes = "yes", const char* no = "no") {
        put(key, value ? yes : no);
    }
    // `key` must already be in the key alphabet; `value` already one line.
    void raw(std::string_view key, std::string_view value) { put(key, value); }
    void put(std::string_view key, std::string_view value) {
        out_ += key;
        out_ += ": ";
        out_ += value;
        out_ += '\n';
    }

private:
    std::string& out_;
};

template <class T, class F>
std::string joined(const std::vector<T>& items, F&& field) {
    std::string out;
    for (const T& item : items) {
        if (!out.empty()) out += ',';
        out += field(item);
    }
    return out;
}

std::string set_line(const SetView& s) {
    std::string v = "type=" + token(s.type);
    if (!s.module.empty()) v += " module=" + token(s.module);
    v += std::string(" present=") + (s.present && s.identity_ok ? "yes" : "no");
    if (s.parent_only) {
        v += " parent_only=yes mode=" + format_mode_octal(s.mode);
    } else if (s.present && s.identity_ok) {
        v += " owner=" + token(s.owner.empty() ? std::to_string(s.uid) : s.owner);
        v += " group=" + token(s.group.empty() ? std::to_string(s.gid) : s.group);
        v += " mode=" + format_mode_octal(s.mode);
        v += " nsems=" + std::to_string(s.nsems);
        v += " value=" + joined(s.semaphores, [](const SemaphoreView& x) {
                 // free/held as on the page; an unexpected value as the number itself
                 return x.value == 0 || x.value == 1 ? std::string(semaphore_state_key(x.value))
                                                     : std::to_string(x.value);
             });
        v += " waiting=" +
             joined(s.semaphores, [](const SemaphoreView& x) { return std::to_string(x.waiting); });
        v += " lastpid=" + joined(s.semaphores, [](const SemaphoreView& x) {
                 return std::to_string(x.last_pid);
             });
        v += " otime=" + std::to_string(s.otime);
        v += std::string(" protected=") + (s.is_protected ? "yes" : "no");
    } else {
        v += std::string(" reason=") + (!s.present ? "missing" : "replaced");
    }
    return one_line(v);
}

void render(std::string& out, const StatusModel& m, const RenderOptions& o) {
    AutoWriter w(out);
    const int64_t now = effective_now(m, o.now);
    w.text("ServerName", m.server_name);
    w.text("ServerVersion", m.server_version);
    w.text("ServerMPM", m.mpm);
    w.text("ServerRoot", m.server_root);
    w.text("ConfigFile", m.config_file);
    w.number("Generation", m.generation);
    w.number("ParentPid", m.parent_pid);
    w.number("CurrentTime", now);
    w.number("StartTime", m.started_at);
    w.number("Uptime", m.started_at > 0 && now >= m.started_at ? now - m.started_at : 0);

    if (!m.kernel_ok) {
        w.text("KernelError", m.kernel_error.empty() ? "unreadable" : m.kernel_error);
    } else {
        w.number("SEMMNI", m.limits.semmni);
        w.number("SEMMNIUsed", m.usage.arrays);
        w.number("SEMMNIFree", free_of(m.usage.arrays, m.limits.semmni));
        w.number("SEMMNS", m.limits.semmns);
        w.number("SEMMNSUsed", m.usage.semaphores);
        w.number("SEMMNSFree", free_of(m.usage.semaphores, m.limits.semmns));
        w.number("SEMMSL", m.limits.semmsl);
        w.number("SEMOPM", m.limits.semopm);
        w.number("SEMVMX", m.limits.semvmx);
        if (!m.undo_note.empty()) w.text("UndoNote", m.undo_note);
    }
    w.number("ProjectedArrays", m.projected_arrays);
    w.number("ProjectedSemaphores", m.projected_semaphores);
    w.number("WarnAtPercent", m.warn_at_percent);
    w.raw("Headroom", to_string(m.headroom));
    if (!m.headroom_text.empty()) w.text("HeadroomAdvice", m.headroom_text);

    w.number("Mutexes", static_cast<long long>(m.mutexes.size()));
    for (const MutexView& x : m.mutexes) w.raw("Mutex-" + key_part(x.type), one_line(x.mechanism));
    for (const MutexView& x : m.mutexes)
        w.raw("MutexSets-" + key_part(x.type), std::to_string(x.sets_now));
    w.number("SetsOutsideMutexTable", m.sets_outside_table);
    w.flag("SysVInUse", uses_sysv(m));
    w.flag("Protection", m.protection_enabled, "on", "off");

    long long missing = 0;
    for (const SetView& s : m.sets) missing += (!s.present || !s.identity_ok) ? 1 : 0;
    w.number("Sets", static_cast<long long>(m.sets.size()));
    w.number("SetsMissing", missing);
    for (const SetView& s : m.sets) {
        w.raw("Set-" + std::to_string(s.semid), set_line(s));
        // Free text, so on a line of its own rather than inside the name=value list.
        if (!s.error.empty()) w.raw("SetError-" + std::to_string(s.semid), one_line(s.error));
    }

    const StartupView& st = m.startup;
    w.text("ReclaimMode", st.mode);
    if (!st.summary.empty()) w.text("StartupSummary", st.summary);
    if (!st.post_mortem.empty()) w.text("PostMortem", st.post_mortem);
    if (st.ipc_namespace != 0) w.number("IpcNamespace", static_cast<long long>(st.ipc_namespace));
    w.number("Reclaimed", static_cast<long long>(st.reclaimed.size()));
    w.number("WouldReclaim", static_cast<long long>(st.would_reclaim.size()));
    w.number("Kept", static_cast<long long>(st.kept.size()));
    w.unsigned_number("ReclaimedTotal", st.reclaimed_total);
    w.unsigned_number("KeptTotal", st.kept_total);
    if (!st.unvouched.empty())
        w.raw("UnvouchedSets", joined(st.unvouched, [](int id) { return std::to_string(id); }));
    for (const auto& g : m.restart_growth)
        w.raw("RestartGrowth-" + key_part(g.module), std::to_string(g.sets));
    w.number("RemovedOutsideSets", m.removed_outside_sets);
    w.number("LookalikeSets", static_cast<long long>(st.lookalikes.size()));
    if (!st.lookalikes.empty())
        w.raw("Lookalikes", joined(st.lookalikes, [](int id) { return std::to_string(id); }));

    w.number("Owners", m.owner_count);
    for (const OwnerView& row : m.owners)
        w.raw("Owner-" + key_part(row.others ? std::string("others") : row.owner),
              "sets=" + std::to_string(row.sets) + " semaphores=" + std::to_string(row.semaphores) +
                  " this_server=" + std::to_string(row.ours) +
                  " httpd_like=" + std::to_string(row.httpd_like) +
                  (row.others ? " owners=" + std::to_string(row.owners) : std::string()));
    if (m.diagnosis.removeipc_checked) {
        w.flag("RemoveIPCRisk", m.diagnosis.removeipc_risk, "yes", "no");
        w.text("RemoveIPC", m.diagnosis.removeipc_verdict);
    }
}

}  // namespace

std::string render_auto(const StatusModel& model, const RenderOptions& options) noexcept {
    try {
        std::string out;
        out.reserve(2048);
        render(out, model, options);
        return out;
    } catch (...) {
        return std::string();
    }
}

}  // namespace semguard

#include "status/render_metrics.h"

#include <charconv>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

#include "text/prom_escape.h"
#include "status/status_text.h"

namespace semguard {

namespace {

// Printable ASCII with nothing to escape (no \ " or newline): written as is.
// Label values and HELP texts almost always are, and the check is one pass
// with no allocation, where the escaper builds a new string.
bool plain(std::string_view text) {
    for (unsigned char c : text)
        if (c >= 0x7f || c < 0x20 || c == '\\' || c == '"') return false;
    return true;
}

// A number as a label value, without a std::string per sample.
class Num {
public:
    explicit Num(long long value)
        : len_(static_cast<std::size_t>(std::to_chars(buf_, buf_ + sizeof buf_, value).ptr -
                                        buf_)) {}
    operator std::string_view() const { return std::string_view(buf_, len_); }

private:
    char buf_[24];
    std::size_t len_;
};

using Labels = std::initializer_list<std::pair<const char*, std::string_view>>;

// One metric family: its HELP and TYPE lines, then its samples, written in one
// go so they stay contiguous. A label set that was already written is dropped:
// Prometheus rejects a scrape with a duplicate series, and the model can hold the
// same set twice (a recorded set and a live one with a reused id).
//
// Cost (issue #15: ?metrics at least as fast as mod_status's ?auto): everything
// is appended straight into the caller's reserved buffer; a sample's series is
// written in place and compared with the family's earlier ones where they lie in
// the buffer (offsets, no copies, no std::set), numbers go through to_chars,
// and only a label value or HELP text that needs escaping is escaped.
class Family {
public:
    Family(std::string& out, const char* name, const char* type, const char* help)
        : out_(out), name_(name) {
        out_ += "# HELP ";
        out_ += name_;
        out_ += ' ';
        // The HELP texts are this file's own plain-ASCII literals: escaping them
        // on every scrape was a third of the page's cost. Only what needs it is.
        const std::string_view text(help);
        if (plain(text))
            out_ += text;
        else
            out_ += prom_help_text(text);
        out_ += "\n# TYPE ";
        out_ += name_;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    void sample(Labels labels, std::string_view value) {
        const std::size_t line = out_.size();
        out_ += name_;
        const std::size_t begin = out_.size();
        if (labels.size() > 0) {
            out_ += '{';
            bool first = true;
            for (const auto& [label, text] : labels) {
                if (!first) out_ += ',';
                first = false;
                out_ += label;
                out_ += "=\"";
                if (plain(text))
                    out_ += text;
                else
                    out_ += prom_label_value(text);
                out_ += '"';
            }
            out_ += '}';
        }
        const std::size_t len = out_.size() - begin;
        const std::string_view series(out_.data() + begin, len);
        for (const auto& [at, n] : seen_)
            if (n == len && std::string_view(out_.data() + at, n) == series) {
                out_.resize(line);  // a duplicate series: take the line back
                return;
            }
        seen_.emplace_back(begin, len);
        out_ += ' ';
        out_ += value;
        out_ += '\n';
    }
    void sample(Labels labels, long long value) { sample(labels, std::string_view(Num(value))); }
    void value(long long v) { sample({}, v); }
    void counter_value(unsigned long long v) {
        char buf[24];
        const auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
        sample({}, std::string_view(buf, static_cast<std::size_t>(end - buf)));
    }

private:
    std::string& out_;
    const char* name_;
    std::vector<std::pair<std::size_t, std::size_t>> seen_;  // series: offset, length in out_
};

void gauge(std::string& out, const char* name, const char* help, long long value) {
    Family(out, name, "gauge", help).value(value);
}

std::string_view type_label(const std::string& type) {
    return type.empty() ? std::string_view("unknown") : std::string_view(type);
}

bool usable(const SetView& s) { return s.present && s.identity_ok; }

void server(std::string& out, const StatusModel& m) {
    gauge(out, "semguard_up",
          "1 if the kernel's SysV semaphore limits and usage could be read, else 0.",
          m.kernel_ok ? 1 : 0);
    Family(out, "semguard_info", "gauge", "Constant 1, labelled with facts about this server.")
        .sample({{"server_name", m.server_name}, {"version", m.server_version}, {"mpm", m.mpm}}, 1);
    gauge(out, "semguard_generation", "The parent's configuration generation (graceful restarts).",
          m.generation);
    if (m.started_at > 0)
        gauge(out, "semguard_start_time_seconds",
              "When the parent process started, seconds since the epoch.", m.started_at);
}

void kernel(std::string& out, const StatusModel& m) {
    // Zeros from an unreadable kernel would read as "no room at all": leave them out.
    if (m.kernel_ok) {
        gauge(out, "semguard_kernel_arrays_limit",
              "SEMMNI: the most SysV semaphore sets the kernel allows.", m.limits.semmni);
        gauge(out, "semguard_kernel_arrays_used", "SysV semaphore sets in use, system-wide.",
              m.usage.arrays);
        gauge(out, "semguard_kernel_semaphores_limit",
              "SEMMNS: the most SysV semaphores the kernel allows.", m.limits.semmns);
        gauge(out, "semguard_kernel_semaphores_used", "SysV semaphores in use, system-wide.",
              m.usage.semaphores);
        gauge(out, "semguard_kernel_semaphores_per_array_limit",
              "SEMMSL: the most semaphores in one set.", m.limits.semmsl);
        gauge(out, "semguard_kernel_semop_operations_limit",
              "SEMOPM: the most operations in one semop call.", m.limits.semopm);
        gauge(out, "semguard_kernel_semaphore_value_limit", "SEMVMX: the highest semaphore value.",
              m.limits.semvmx);
    }
    gauge(out, "semguard_projected_arrays",
          "SysV semaphore sets this configuration creates per generation.", m.projected_arrays);
    gauge(out, "semguard_projected_semaphores",
          "SysV semaphores this configuration creates per generation.", m.projected_semaphores);
    gauge(out, "semguard_headroom_warn_percent",
          "Use of a kernel limit, in percent, at which the headroom turns to warn.",
          m.warn_at_percent);
    Family state(
        out, "semguard_headroom_state", "gauge",
        "1 for the current headroom state (ok, warn, critical, unknown), 0 for the others.");
    for (HeadroomState s :
         {HeadroomState::Ok, HeadroomState::Warn, HeadroomState::Critical, HeadroomState::Unknown})
        state.sample({{"state", to_string(s)}}, m.headroom == s ? 1 : 0);
}

void mutexes(std::string& out, const StatusModel& m) {
    Family info(out, "semguard_mutex_info", "gauge",
                "Constant 1 for each httpd mutex, labelled with its effective mechanism.");
    for (const MutexView& x : m.mutexes)
        info.sample({{"type", type_label(x.type)}, {"mechanism", x.mechanism}}, 1);
    gauge(out, "semguard_protection_enabled",
          "1 if this server's semaphore sets are protected (owner root, mode 0660).",
          m.protection_enabled ? 1 : 0);
}

void sets(std::string& out, const StatusModel& m) {
    Family present(out, "semguard_set_present", "gauge",
                   "1 for each SysV semaphore set of this server; 0 if recorded but missing or "
                   "replaced.");
    for (const SetView& s : m.sets)
        present.sample({{"semid", Num(s.semid)}, {"type", type_label(s.type)}}, usable(s) ? 1 : 0);

    Family prot(out, "semguard_set_protected", "gauge",
                "1 if the set is protected (owner root, mode 0660).");
    for (const SetView& s : m.sets)
        if (usable(s))
            prot.sample({{"semid", Num(s.semid)}, {"type", type_label(s.type)}},
                        s.is_protected ? 1 : 0);

    Family otime(out, "semguard_set_last_operation_timestamp_seconds", "gauge",
                 "When a process last operated on the set (semop), seconds since the epoch.");
    for (const SetView& s : m.sets)
        if (usable(s) && s.otime > 0)
            otime.sample({{"semid", Num(s.semid)}, {"type", type_label(s.type)}}, s.otime);

    Family value(out, "semguard_set_value", "gauge",
                 "Semaphore value: 1 = free, 0 = held (httpd's mutexes start at 1).");
    for (const SetView& s : m.sets)
        if (usable(s))
            for (std::size_t i = 0; i < s.semaphores.size(); ++i)
                value.sample({{"semid", Num(s.semid)},
                              {"type", type_label(s.type)},
                              {"sem", Num(static_cast<long long>(i))}},
                             s.semaphores[i].value);

    Family waiters(out, "semguard_set_waiters", "gauge",
                   "Processes blocked waiting to acquire the semaphore (GETNCNT).");
    for (const SetView& s : m.sets)
        if (usable(s))
            for (std::size_t i = 0; i < s.semaphores.size(); ++i)
                waiters.sample({{"semid", Num(s.semid)},
                                {"type", type_label(s.type)},
                                {"sem", Num(static_cast<long long>(i))}},
                               s.semaphores[i].waiting);
}

void startup(std::string& out, const StartupView& st) {
    gauge(out, "semguard_startup_reclaimed_sets",
          "Stale sets of a crashed earlier run reclaimed at this start.",
          static_cast<long long>(st.reclaimed.size()));
    gauge(out, "semguard_startup_would_reclaim_sets",
          "Stale sets a dry run found at this start and left in place.",
          static_cast<long long>(st.would_reclaim.size()));
    gauge(out, "semguard_ipc_namespace_inode",
          "Inode of the IPC namespace (/proc/self/ns/ipc) the server's sets live in.",
          static_cast<long long>(st.ipc_namespace));
    gauge(out, "semguard_startup_kept_sets",
          "Sets of an earlier run kept at this start because they could not be proven stale.",
          static_cast<long long>(st.kept.size()));
    Family(out, "semguard_reclaimed_sets_total", "counter",
           "Stale semaphore sets reclaimed since the parent started.")
        .counter_value(st.reclaimed_total);
    Family(out, "semguard_kept_sets_total", "counter",
           "Semaphore sets kept because they could not be proven stale, since the parent started.")
        .counter_value(st.kept_total);
    gauge(out, "semguard_lookalike_sets",
          "Sets that look like httpd's but belong to no recorded run of this server.",
          static_cast<long long>(st.lookalikes.size()));
}

void diagnosis(std::string& out, const StatusModel& m) {
    Family sets(out, "semguard_owner_sets", "gauge",
                "SysV semaphore sets in use system-wide, by owner (sem_perm.uid); the "
                "smallest owners are summed as owner=\"others\".");
    for (const OwnerView& o : m.owners) sets.sample({{"owner", o.owner}}, o.sets);
    Family sems(out, "semguard_owner_semaphores", "gauge",
                "SysV semaphores in use system-wide, by owner of their set.");
    for (const OwnerView& o : m.owners) sems.sample({{"owner", o.owner}}, o.semaphores);
    gauge(out, "semguard_removeipc_risk",
          "1 when systemd-logind's RemoveIPC can remove this server's sets (User not a system "
          "user, can log in, RemoveIPC in effect, no SemGuardProtect), else 0.",
          m.diagnosis.removeipc_risk ? 1 : 0);
}

void others(std::string& out, const StatusModel& m) {
    Family growth(out, "semguard_restart_growth_sets", "gauge",
                  "Sets a module's mutexes added at the last graceful restart and left behind.");
    for (const auto& g : m.restart_growth) growth.sample({{"module", g.module}}, g.sets);
    gauge(out, "semguard_removed_outside_sets",
          "Sets of this run found removed from outside while it ran.", m.removed_outside_sets);
}

}  // namespace

std::string render_metrics(const StatusModel& model, const RenderOptions& options) noexcept {
    try {
        // Reserved once: the fixed families take about 4 KiB, each set and each
        // semaphore a few hundred bytes.
        std::size_t semaphores = 0;
        for (const SetView& s : model.sets) semaphores += s.semaphores.size();
        std::string out;
        out.reserve(6144 + 512 * (model.sets.size() + semaphores));
        server(out, model);
        kernel(out, model);
        mutexes(out, model);
        sets(out, model);
        startup(out, model.startup);
        diagnosis(out, model);
        others(out, model);
        return out;
    } catch (...) {
        return std::string();
    }
}

}  // namespace semguard

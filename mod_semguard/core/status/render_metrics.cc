#include "status/render_metrics.h"

#include <initializer_list>
#include <set>
#include <string_view>
#include <utility>

#include "text/prom_escape.h"
#include "status/status_text.h"

namespace semguard {

namespace {

bool is_ascii(std::string_view text) {
    for (unsigned char c : text)
        if (c >= 0x80 || c < 0x20) return false;
    return true;
}

using Labels = std::initializer_list<std::pair<const char*, std::string>>;

// One metric family: its HELP and TYPE lines, then its samples, written in one
// go so they stay contiguous. A label set that was already written is dropped:
// Prometheus rejects a scrape with a duplicate series, and the model can hold the
// same set twice (a recorded set and a live one with a reused id).
class Family {
public:
    Family(std::string& out, const char* name, const char* type, const char* help)
        : out_(out), name_(name) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        // The HELP texts are this file's own plain-ASCII literals: escaping them
        // on every scrape was a third of the page's cost. Only what needs it is.
        const std::string_view text(help);
        if (text.find_first_of("\\\n") == std::string_view::npos && is_ascii(text))
            out_ += text;
        else
            out_ += prom_help_text(text);
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }

    void sample(Labels labels, const std::string& value) {
        std::string series;
        if (labels.size() > 0) {
            series += '{';
            bool first = true;
            for (const auto& [label, text] : labels) {
                if (!first) series += ',';
                first = false;
                series += label;
                series += "=\"";
                series += prom_label_value(text);
                series += '"';
            }
            series += '}';
        }
        if (!seen_.insert(series).second) return;
        out_ += name_;
        out_ += series;
        out_ += ' ';
        out_ += value;
        out_ += '\n';
    }
    void sample(Labels labels, long long value) { sample(labels, std::to_string(value)); }
    void value(long long v) { sample({}, std::to_string(v)); }
    void counter_value(unsigned long long v) { sample({}, std::to_string(v)); }

private:
    std::string& out_;
    const char* name_;
    std::set<std::string> seen_;
};

void gauge(std::string& out, const char* name, const char* help, long long value) {
    Family(out, name, "gauge", help).value(value);
}

std::string type_label(const std::string& type) { return type.empty() ? "unknown" : type; }

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
        present.sample({{"semid", std::to_string(s.semid)}, {"type", type_label(s.type)}},
                       usable(s) ? 1 : 0);

    Family prot(out, "semguard_set_protected", "gauge",
                "1 if the set is protected (owner root, mode 0660).");
    for (const SetView& s : m.sets)
        if (usable(s))
            prot.sample({{"semid", std::to_string(s.semid)}, {"type", type_label(s.type)}},
                        s.is_protected ? 1 : 0);

    Family otime(out, "semguard_set_last_operation_timestamp_seconds", "gauge",
                 "When a process last operated on the set (semop), seconds since the epoch.");
    for (const SetView& s : m.sets)
        if (usable(s) && s.otime > 0)
            otime.sample({{"semid", std::to_string(s.semid)}, {"type", type_label(s.type)}},
                         s.otime);

    Family value(out, "semguard_set_value", "gauge",
                 "Semaphore value: 1 = free, 0 = held (httpd's mutexes start at 1).");
    for (const SetView& s : m.sets)
        if (usable(s))
            for (std::size_t i = 0; i < s.semaphores.size(); ++i)
                value.sample({{"semid", std::to_string(s.semid)},
                              {"type", type_label(s.type)},
                              {"sem", std::to_string(i)}},
                             s.semaphores[i].value);

    Family waiters(out, "semguard_set_waiters", "gauge",
                   "Processes blocked waiting to acquire the semaphore (GETNCNT).");
    for (const SetView& s : m.sets)
        if (usable(s))
            for (std::size_t i = 0; i < s.semaphores.size(); ++i)
                waiters.sample({{"semid", std::to_string(s.semid)},
                                {"type", type_label(s.type)},
                                {"sem", std::to_string(i)}},
                               s.semaphores[i].waiting);
}

void startup(std::string& out, const StartupView& st) {
    gauge(out, "semguard_startup_reclaimed_sets",
          "Stale sets of a crashed earlier run reclaimed at this start.",
          static_cast<long long>(st.reclaimed.size()));
    gauge(out, "semguard_startup_would_reclaim_sets",
          "Stale sets a dry run found at this start and left in place.",
          static_cast<long long>(st.would_reclaim.size()));
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
        std::string out;
        out.reserve(4096);
        server(out, model);
        kernel(out, model);
        mutexes(out, model);
        sets(out, model);
        startup(out, model.startup);
        others(out, model);
        return out;
    } catch (...) {
        return std::string();
    }
}

}  // namespace semguard

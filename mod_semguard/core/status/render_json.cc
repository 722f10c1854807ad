#include "status/render_json.h"

#include "text/json_writer.h"
#include "status/status_text.h"
#include "version.h"

namespace semguard {

namespace {

void server(JsonWriter& w, const StatusModel& m, int64_t now) {
    w.key("server").begin_object();
    w.key("name").string(m.server_name);
    w.key("version").string(m.server_version);
    w.key("mpm").string(m.mpm);
    w.key("server_root").string(m.server_root);
    w.key("config_file").string(m.config_file);
    w.key("generation").integer(m.generation);
    w.key("parent_pid").integer(m.parent_pid);
    w.key("started_at").integer(m.started_at);
    w.key("uptime_seconds")
        .integer(m.started_at > 0 && now >= m.started_at ? now - m.started_at : 0);
    w.end_object();
}

// A percentage, or null when the limit is unknown.
void percent(JsonWriter& w, long used, long limit) {
    const double p = usage_percent(used, limit);
    if (p < 0)
        w.null();
    else
        w.decimal(p);
}

void kernel(JsonWriter& w, const StatusModel& m) {
    w.key("kernel").begin_object();
    w.key("ok").boolean(m.kernel_ok);
    w.key("error").string(m.kernel_error);
    w.key("limits").begin_object();
    w.key("semmni").integer(m.limits.semmni);
    w.key("semmns").integer(m.limits.semmns);
    w.key("semmsl").integer(m.limits.semmsl);
    w.key("semopm").integer(m.limits.semopm);
    w.key("semvmx").integer(m.limits.semvmx);
    w.key("semaem").integer(m.limits.semaem);
    w.key("semmnu").integer(m.limits.semmnu);
    w.key("semume").integer(m.limits.semume);
    w.key("undo_enforced").boolean(m.limits.undo_enforced);
    w.end_object();
    w.key("usage").begin_object();
    w.key("arrays").integer(m.usage.arrays);
    w.key("arrays_free").integer(free_of(m.usage.arrays, m.limits.semmni));
    w.key("arrays_percent");
    percent(w, m.usage.arrays, m.limits.semmni);
    w.key("semaphores").integer(m.usage.semaphores);
    w.key("semaphores_free").integer(free_of(m.usage.semaphores, m.limits.semmns));
    w.key("semaphores_percent");
    percent(w, m.usage.semaphores, m.limits.semmns);
    w.key("highest_index").integer(m.usage.highest_index);
    w.end_object();
    w.key("undo_note").string(m.undo_note);
    w.key("projected").begin_object();
    w.key("arrays").integer(m.projected_arrays);
    w.key("semaphores").integer(m.projected_semaphores);
    w.end_object();
    w.key("headroom").begin_object();
    w.key("state").string(to_string(m.headroom));
    w.key("advice").string(m.headroom_text);
    w.key("warn_at_percent").integer(m.warn_at_percent);
    w.end_object();
    w.end_object();
}

void mutexes(JsonWriter& w, const StatusModel& m) {
    w.key("sysv_in_use").boolean(uses_sysv(m));
    w.key("mutexes").begin_array();
    for (const MutexView& x : m.mutexes) {
        w.begin_object();
        w.key("type").string(x.type);
        w.key("configured").string(x.configured);
        w.key("mechanism").string(x.mechanism);
        w.key("dir").string(x.dir);
        w.key("sysv").boolean(x.sysv);
        w.key("sets_now").integer(x.sets_now);
        w.end_object();
    }
    w.end_array();
}

void diagnosis(JsonWriter& w, const StatusModel& m) {
    w.key("owners").begin_array();
    for (const OwnerView& o : m.owners) {
        w.begin_object();
        w.key("owner").string(o.owner);
        w.key("uid").integer(o.others ? -1 : static_cast<int64_t>(o.uid));
        w.key("others").boolean(o.others);
        w.key("owners").integer(o.owners);
        w.key("sets").integer(o.sets);
        w.key("semaphores").integer(o.semaphores);
        w.key("this_server").integer(o.ours);
        w.key("httpd_like").integer(o.httpd_like);
        w.end_object();
    }
    w.end_array();
    w.key("owner_count").integer(m.owner_count);
    w.key("sets_outside_table").integer(m.sets_outside_table);
    w.key("removeipc").begin_object();
    w.key("checked").boolean(m.diagnosis.removeipc_checked);
    w.key("risk").boolean(m.diagnosis.removeipc_risk);
    w.key("verdict").string(m.diagnosis.removeipc_verdict);
    w.end_object();
}

void semaphore(JsonWriter& w, std::size_t index, const SemaphoreView& s) {
    w.begin_object();
    w.key("index").unsigned_integer(index);
    w.key("value").integer(s.value);
    w.key("state").string(semaphore_state_key(s.value));
    w.key("waiting").integer(s.waiting);
    w.key("last_pid").integer(s.last_pid);
    w.key("last_pid_alive").boolean(s.last_pid_alive);
    w.key("last_pid_ours").boolean(s.last_pid_ours);
    w.end_object();
}

void sets(JsonWriter& w, const StatusModel& m) {
    w.key("protection_enabled").boolean(m.protection_enabled);
    w.key("sets").begin_array();
    for (const SetView& s : m.sets) {
        w.begin_object();
        w.key("semid").integer(s.semid);
        w.key("type").string(s.type);
        w.key("module").string(s.module);
        w.key("present").boolean(s.present);
        w.key("parent_only").boolean(s.parent_only);
        w.key("identity_ok").boolean(s.identity_ok);
        w.key("uid").integer(s.uid);
        w.key("gid").integer(s.gid);
        w.key("owner").string(s.owner);
        w.key("group").string(s.group);
        w.key("mode").string(format_mode_octal(s.mode));
        w.key("nsems").unsigned_integer(s.nsems);
        w.key("otime").integer(s.otime);
        w.key("ctime").integer(s.ctime);
        w.key("protected").boolean(s.is_protected);
        w.key("error").string(s.error);
        w.key("semaphores").begin_array();
        for (std::size_t i = 0; i < s.semaphores.size(); ++i) semaphore(w, i, s.semaphores[i]);
        w.end_array();
        w.end_object();
    }
    w.end_array();
}

void reclaimed_list(JsonWriter& w, const char* name, const std::vector<ReclaimedView>& list) {
    w.key(name).begin_array();
    for (const ReclaimedView& r : list) {
        w.begin_object();
        w.key("semid").integer(r.semid);
        w.key("type").string(r.type);
        w.key("old_parent_pid").integer(r.old_parent_pid);
        w.end_object();
    }
    w.end_array();
}

void startup(JsonWriter& w, const StartupView& st) {
    w.key("startup").begin_object();
    w.key("mode").string(st.mode);
    w.key("summary").string(st.summary);
    w.key("post_mortem").string(st.post_mortem);
    w.key("ipc_namespace").integer(static_cast<long long>(st.ipc_namespace));
    reclaimed_list(w, "reclaimed", st.reclaimed);
    reclaimed_list(w, "would_reclaim", st.would_reclaim);
    w.key("kept").begin_array();
    for (const KeptView& k : st.kept) {
        w.begin_object();
        w.key("semid").integer(k.semid);
        w.key("type").string(k.type);
        w.key("reason").string(k.reason);
        w.end_object();
    }
    w.end_array();
    w.key("lookalikes").begin_array();
    for (int semid : st.lookalikes) w.integer(semid);
    w.end_array();
    w.key("unvouched").begin_array();
    for (int semid : st.unvouched) w.integer(semid);
    w.end_array();
    w.key("reclaimed_total").unsigned_integer(st.reclaimed_total);
    w.key("kept_total").unsigned_integer(st.kept_total);
    w.end_object();
}

// Other modules' sets and removals from outside, across the run.
void others(JsonWriter& w, const StatusModel& m) {
    w.key("restart_growth").begin_array();
    for (const auto& g : m.restart_growth) {
        w.begin_object();
        w.key("module").string(g.module);
        w.key("sets").integer(g.sets);
        w.end_object();
    }
    w.end_array();
    w.key("removed_outside").begin_array();
    for (const auto& r : m.removed_outside) {
        w.begin_object();
        w.key("semid").integer(r.semid);
        w.key("type").string(r.type);
        w.end_object();
    }
    w.end_array();
}

}  // namespace

std::string render_json(const StatusModel& model, const RenderOptions& options) noexcept {
    try {
        std::string out;
        out.reserve(4096);
        JsonWriter w(out);
        const int64_t now = effective_now(model, options.now);
        w.begin_object();
        w.key("schema").string(kStatusJsonSchema);
        w.key("generated_at").integer(now);
        w.key("module").begin_object();
        w.key("name").string("mod_semguard");
        w.key("version").string(kModuleVersion);
        w.end_object();
        server(w, model, now);
        kernel(w, model);
        mutexes(w, model);
        sets(w, model);
        startup(w, model.startup);
        diagnosis(w, model);
        others(w, model);
        w.end_object();
        return out;
    } catch (...) {
        return std::string();
    }
}

}  // namespace semguard

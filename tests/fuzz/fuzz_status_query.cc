// libFuzzer harness: a query string as a client could send it, parsed, then the
// status rendered in every format — for a small fixed model, and for the same
// model with the input as its server name and mutex type, so the escapers see
// hostile bytes too. Nothing may crash, and ?auto must keep its line format.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "status/render_status.h"
#include "status/status_model.h"
#include "status/status_query.h"

namespace {

using namespace semguard;

StatusModel fixed_model() {
    StatusModel m;
    m.server_version = "Apache/2.4.62 (Debian)";
    m.server_name = "fuzz.example";
    m.server_root = "/etc/apache2";
    m.config_file = "/etc/apache2/apache2.conf";
    m.mpm = "prefork";
    m.generation = 1;
    m.parent_pid = 100;
    m.now = 1714564800;
    m.started_at = 1714564000;
    m.limits.semmni = 128;
    m.limits.semmns = 32000;
    m.limits.semmsl = 250;
    m.usage.arrays = 10;
    m.usage.semaphores = 12;
    m.headroom = HeadroomState::Ok;
    MutexView accept;
    accept.type = "mpm-accept";
    accept.configured = "sysvsem";
    accept.mechanism = "sysvsem";
    accept.sysv = true;
    m.mutexes.push_back(accept);
    SetView set;
    set.semid = 32768;
    set.type = "mpm-accept";
    set.nsems = 1;
    SemaphoreView sem;
    sem.value = 0;
    sem.waiting = 2;
    sem.last_pid = 101;
    sem.last_pid_alive = true;
    set.semaphores.push_back(sem);
    m.sets.push_back(set);
    SetView missing = set;
    missing.semid = 32769;
    missing.present = false;
    missing.semaphores.clear();
    m.sets.push_back(missing);
    m.startup.mode = "on";
    m.startup.reclaimed.push_back({1, "ssl-cache", 99});
    m.startup.lookalikes.push_back(2);
    return m;
}

bool is_key_char(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

// ^[A-Za-z0-9_-]+: [no control characters]*$ for every line, newline-terminated.
bool auto_format_holds(const std::string& text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        if (end == std::string::npos) return false;
        std::size_t i = pos;
        while (i < end && is_key_char(static_cast<unsigned char>(text[i]))) ++i;
        if (i == pos || end - i < 2 || text[i] != ':' || text[i + 1] != ' ') return false;
        for (i += 2; i < end; ++i) {
            const auto c = static_cast<unsigned char>(text[i]);
            if (c < 0x20 || c == 0x7F) return false;
        }
        pos = end + 1;
    }
    return true;
}

void render_all(const StatusModel& model, const StatusQuery& query) {
    RenderOptions options;
    options.refresh = query.refresh;
    options.base_path = "/semguard-status";
    for (StatusFormat format :
         {StatusFormat::Html, StatusFormat::Auto, StatusFormat::Json, StatusFormat::Metrics}) {
        const std::string body = render_status(format, model, options);
        if (body.empty()) __builtin_trap();
        if (format == StatusFormat::Auto && !auto_format_holds(body)) __builtin_trap();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const StatusModel model = fixed_model();
    const std::string_view input(reinterpret_cast<const char*>(data), size);

    const StatusQuery query = parse_status_query(input);
    if (!query.ok && query.error.empty()) __builtin_trap();
    if (query.refresh != 0 &&
        (query.refresh < kMinRefreshSeconds || query.refresh > kMaxRefreshSeconds))
        __builtin_trap();
    render_all(model, query);

    StatusModel hostile = model;
    hostile.server_name = std::string(input.substr(0, 4096));
    hostile.mutexes[0].type = hostile.server_name;
    hostile.sets[0].type = hostile.server_name;
    render_all(hostile, query);
    return 0;
}

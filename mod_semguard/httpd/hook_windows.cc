#include "hook_windows.h"

namespace semguard {
namespace glue {

namespace {

template <class Link, class Fn>
std::vector<WindowHook> between(apr_array_header_t* hooks, Fn* from, Fn* to, CreatedIn phase) {
    std::vector<WindowHook> out;
    if (!hooks) return out;
    const auto* links = reinterpret_cast<const Link*>(hooks->elts);
    bool inside = from == nullptr;
    for (int i = 0; i < hooks->nelts; ++i) {
        if (links[i].pFunc == from) {
            inside = true;
            continue;
        }
        if (links[i].pFunc == to) break;
        if (inside) out.push_back({links[i].szName ? links[i].szName : "", phase});
    }
    return out;
}

}  // namespace

std::vector<WindowHook> open_logs_between(ap_HOOK_open_logs_t* first, ap_HOOK_open_logs_t* second) {
    return between<ap_LINK_open_logs_t>(ap_hook_get_open_logs(), first, second, CreatedIn::OpenLogs);
}

std::vector<WindowHook> hooks_after_until(ap_HOOK_open_logs_t* after, ap_HOOK_post_config_t* until) {
    auto out = between<ap_LINK_open_logs_t>(ap_hook_get_open_logs(), after,
                                            static_cast<ap_HOOK_open_logs_t*>(nullptr),
                                            CreatedIn::OpenLogs);
    auto post = between<ap_LINK_post_config_t>(ap_hook_get_post_config(),
                                               static_cast<ap_HOOK_post_config_t*>(nullptr), until,
                                               CreatedIn::PostConfig);
    out.insert(out.end(), post.begin(), post.end());
    return out;
}

}  // namespace glue
}  // namespace semguard

#include "hook_spans.h"

#include <cstring>

namespace semguard {
namespace glue {

namespace {

// "mod_x.c" for "/build/dir/mod_x.c": httpd names a module by its source file.
std::string module_name(const char* name) {
    if (!name) return "";
    const char* slash = std::strrchr(name, '/');
    return slash ? slash + 1 : name;
}

template <class Link, class Fn>
std::vector<WindowHook> between(apr_array_header_t* hooks, Fn* from, Fn* to, CreatedIn phase,
                                const char* self) {
    std::vector<WindowHook> out;
    if (!hooks) return out;
    const auto* links = reinterpret_cast<const Link*>(hooks->elts);
    bool inside = from == nullptr;
    for (int i = 0; i < hooks->nelts; ++i) {
        if (links[i].pFunc == from) {
            inside = true;
            continue;
        }
        if (inside && to != nullptr && links[i].pFunc == to) break;
        if (!inside) continue;
        if (self && links[i].szName && std::strcmp(links[i].szName, self) == 0) continue;
        out.push_back({module_name(links[i].szName), phase});
    }
    return out;
}

}  // namespace

std::vector<WindowHook> open_logs_between(ap_HOOK_open_logs_t* first, ap_HOOK_open_logs_t* second) {
    return between<ap_LINK_open_logs_t>(ap_hook_get_open_logs(), first, second, CreatedIn::OpenLogs,
                                        nullptr);
}

std::vector<std::vector<WindowHook>> post_config_spans(
    ap_HOOK_open_logs_t* after, const std::vector<ap_HOOK_post_config_t*>& marks,
    ap_HOOK_post_config_t* until, const char* self) {
    std::vector<std::vector<WindowHook>> out;
    auto first = between<ap_LINK_open_logs_t>(ap_hook_get_open_logs(), after,
                                              static_cast<ap_HOOK_open_logs_t*>(nullptr),
                                              CreatedIn::OpenLogs, self);
    ap_HOOK_post_config_t* from = nullptr;
    for (size_t i = 0; i <= marks.size(); ++i) {
        ap_HOOK_post_config_t* to = i < marks.size() ? marks[i] : until;
        auto post = between<ap_LINK_post_config_t>(ap_hook_get_post_config(), from, to,
                                                   CreatedIn::PostConfig, self);
        if (i == 0) {
            first.insert(first.end(), post.begin(), post.end());
            out.push_back(std::move(first));
        } else {
            out.push_back(std::move(post));
        }
        from = to;
    }
    return out;
}

}  // namespace glue
}  // namespace semguard

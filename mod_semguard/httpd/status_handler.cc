#include "status_handler.h"

#include <cstring>
#include <ctime>

#include "apr_optional_hooks.h"
#include "apr_strings.h"
#include "ap_mpm.h"
#include "guarded.h"
#include "http_core.h"
#include "http_protocol.h"
#include "http_request.h"
#include "directive_names.h"
#include "kernel/linux_kernel.h"
#include "mod_status.h"
#include "run_memory_store.h"
#include "status/owner_cache.h"
#include "status/status_collect.h"
#include "status/status_query.h"
#include "status/render_status.h"
#include "status/status_section.h"

namespace semguard {
namespace glue {

namespace {

StatusModel model_for(request_rec* r) {
    LinuxSemKernel kernel;
    LinuxRunProbe probe;
    ServerDescription d;
    d.server_version = ap_get_server_description();
    d.server_name = r->server->server_hostname ? r->server->server_hostname : "";
    d.mpm = ap_show_mpm();
    d.generation = ap_state_query(AP_SQ_CONFIG_GEN);
    d.now = static_cast<int64_t>(std::time(nullptr));
    // One per process: the owner breakdown lists the host's sets at most once
    // a second, or when SEM_INFO's figures change (status/owner_cache.h).
    static OwnerCache owners;
    return collect_status(run_memory(), kernel, probe, d, &owners);
}

int send_text(request_rec* r, int status, const char* type, const std::string& body) {
    r->status = status;
    ap_set_content_type(r, type);
    ap_set_content_length(r, static_cast<apr_off_t>(body.size()));
    apr_table_setn(r->headers_out, "Cache-Control", "no-cache");
    if (!r->header_only) ap_rwrite(body.data(), static_cast<int>(body.size()), r);
    return OK;
}

int status_handler(request_rec* r) {
    // The only work on requests that are not ours: one string comparison.
    if (!r->handler || std::strcmp(r->handler, kStatusHandler) != 0) return DECLINED;
    return guarded<int>(r->server, "semguard-status", HTTP_INTERNAL_SERVER_ERROR, [&] {
        r->allowed |= (AP_METHOD_BIT << M_GET);
        if (r->method_number != M_GET) {  // HEAD is M_GET too
            // Answered here: httpd's own 405 lists OPTIONS and TRACE, which this
            // handler does not serve.
            apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
            return send_text(r, HTTP_METHOD_NOT_ALLOWED, "text/plain; charset=utf-8",
                             "Method not allowed: this page answers GET and HEAD only\n");
        }
        const StatusQuery q = parse_status_query(r->args);
        if (!q.ok)
            return send_text(r, HTTP_BAD_REQUEST, "text/plain; charset=utf-8",
                             "Bad request: " + q.error + "\n");
        RenderOptions opt;
        opt.refresh = q.refresh;
        opt.now = static_cast<int64_t>(std::time(nullptr));
        opt.base_path = r->uri ? r->uri : "";
        const std::string body = render_status(q.format, model_for(r), opt);
        if (body.empty()) return HTTP_INTERNAL_SERVER_ERROR;  // only when memory ran out
        if (q.refresh > 0 && q.format == StatusFormat::Html)
            apr_table_setn(r->headers_out, "Refresh", apr_itoa(r->pool, q.refresh));
        return send_text(r, HTTP_OK, status_content_type(q.format), body);
    });
}

int server_status_section(request_rec* r, int flags) {
    return guarded<int>(r->server, "server-status section", OK, [&] {
        const StatusModel m = model_for(r);
        const std::string text = (flags & AP_STATUS_SHORT) ? render_server_status_auto(m)
                                                           : render_server_status_html(m, "");
        ap_rputs(text.c_str(), r);
        return OK;
    });
}

}  // namespace

void register_status_hooks(apr_pool_t*) {
    ap_hook_handler(status_handler, nullptr, nullptr, APR_HOOK_MIDDLE);
    APR_OPTIONAL_HOOK(ap, status_hook, server_status_section, nullptr, nullptr, APR_HOOK_MIDDLE);
}

}  // namespace glue
}  // namespace semguard

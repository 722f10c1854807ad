// The status page links to its other formats (?auto, ?json, ?metrics) under the
// handler's own URL path. httpd hands that path over decoded (r->uri), so it must
// be percent-encoded again before it can stand in an href.
#pragma once

#include <string>
#include <string_view>

namespace semguard {

// Every byte except unreserved characters (RFC 3986: A-Z a-z 0-9 - . _ ~) and "/"
// becomes %XX, so the result cannot carry a query, a fragment or a quote.
std::string url_path_escape(std::string_view path);

}  // namespace semguard

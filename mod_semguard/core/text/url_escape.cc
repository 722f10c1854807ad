#include "text/url_escape.h"

#include "text/codec.h"

namespace semguard {

namespace {
bool keep_as_is(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}
}  // namespace

std::string url_path_escape(std::string_view path) {
    std::string out;
    out.reserve(path.size());
    append_percent_encoded(out, path, keep_as_is);
    return out;
}

}  // namespace semguard

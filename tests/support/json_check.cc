#include "json_check.h"

#include <set>

namespace semguard::test {

namespace {

// Decoded member names, so that "a" and "\u0061" count as the same name.
void append_utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

class Checker {
public:
    explicit Checker(std::string_view text) : s_(text) {}

    std::string run() {
        skip_space();
        if (!value(0)) return error_;
        skip_space();
        if (pos_ != s_.size()) return fail("trailing content"), error_;
        return "";
    }

private:
    static constexpr int kMaxDepth = 64;

    bool fail(const char* why) {
        if (error_.empty()) error_ = std::string(why) + " at offset " + std::to_string(pos_);
        return false;
    }
    bool at_end() const { return pos_ >= s_.size(); }
    char peek() const { return at_end() ? '\0' : s_[pos_]; }
    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r'))
            ++pos_;
    }
    bool literal(std::string_view word) {
        if (s_.substr(pos_, word.size()) != word) return fail("invalid literal");
        pos_ += word.size();
        return true;
    }

    bool value(int depth) {
        if (depth > kMaxDepth) return fail("nested too deeply");
        switch (peek()) {
            case '{': return object(depth);
            case '[': return array(depth);
            case '"': {
                std::string ignored;
                return string(ignored);
            }
            case 't': return literal("true");
            case 'f': return literal("false");
            case 'n': return literal("null");
            default: return number();
        }
    }

    bool object(int depth) {
        ++pos_;  // {
        std::set<std::string> names;
        skip_space();
        if (peek() == '}') return ++pos_, true;
        for (;;) {
            skip_space();
            if (peek() != '"') return fail("expected a member name");
            std::string name;
            if (!string(name)) return false;
            if (!names.insert(name).second) return fail("duplicate member name");
            skip_space();
            if (peek() != ':') return fail("expected ':'");
            ++pos_;
            skip_space();
            if (!value(depth + 1)) return false;
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') return ++pos_, true;
            return fail("expected ',' or '}'");
        }
    }

    bool array(int depth) {
        ++pos_;  // [
        skip_space();
        if (peek() == ']') return ++pos_, true;
        for (;;) {
            skip_space();
            if (!value(depth + 1)) return false;
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') return ++pos_, true;
            return fail("expected ',' or ']'");
        }
    }

    bool digits() {
        if (at_end() || peek() < '0' || peek() > '9') return fail("expected a digit");
        while (!at_end() && peek() >= '0' && peek() <= '9') ++pos_;
        return true;
    }

    bool number() {
        if (peek() == '-') ++pos_;
        if (peek() == '0') {
            ++pos_;
            if (peek() >= '0' && peek() <= '9') return fail("leading zero");
        } else if (!digits()) {
            return false;
        }
        if (peek() == '.') {
            ++pos_;
            if (!digits()) return false;
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (!digits()) return false;
        }
        return true;
    }

    int hex4() {
        if (s_.size() - pos_ < 4) return -1;
        int v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = s_[pos_ + i];
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return -1;
            v = v * 16 + d;
        }
        pos_ += 4;
        return v;
    }

    // Raw bytes must be well-formed UTF-8 (RFC 3629).
    bool utf8_sequence(std::string& out) {
        const auto lead = static_cast<unsigned char>(peek());
        std::size_t len;
        unsigned cp;
        unsigned min;
        if (lead >= 0xC2 && lead <= 0xDF)
            len = 2, cp = lead & 0x1F, min = 0x80;
        else if (lead >= 0xE0 && lead <= 0xEF)
            len = 3, cp = lead & 0x0F, min = 0x800;
        else if (lead >= 0xF0 && lead <= 0xF4)
            len = 4, cp = lead & 0x07, min = 0x10000;
        else
            return fail("ill-formed UTF-8");
        if (s_.size() - pos_ < len) return fail("truncated UTF-8");
        for (std::size_t i = 1; i < len; ++i) {
            const auto c = static_cast<unsigned char>(s_[pos_ + i]);
            if ((c & 0xC0) != 0x80) return fail("ill-formed UTF-8");
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return fail("ill-formed UTF-8");
        out.append(s_.substr(pos_, len));
        pos_ += len;
        return true;
    }

    bool string(std::string& out) {
        ++pos_;  // "
        for (;;) {
            if (at_end()) return fail("unterminated string");
            const auto c = static_cast<unsigned char>(peek());
            if (c == '"') return ++pos_, true;
            if (c < 0x20) return fail("raw control character in string");
            if (c >= 0x80) {
                if (!utf8_sequence(out)) return false;
                continue;
            }
            ++pos_;
            if (c != '\\') {
                out += static_cast<char>(c);
                continue;
            }
            const char e = peek();
            ++pos_;
            switch (e) {
                case '"':
                case '\\':
                case '/': out += e; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    const int unit = hex4();
                    if (unit < 0) return fail("bad \\u escape");
                    if (unit >= 0xDC00 && unit <= 0xDFFF) return fail("unpaired low surrogate");
                    unsigned cp = static_cast<unsigned>(unit);
                    if (unit >= 0xD800 && unit <= 0xDBFF) {
                        if (s_.substr(pos_, 2) != "\\u") return fail("unpaired high surrogate");
                        pos_ += 2;
                        const int low = hex4();
                        if (low < 0xDC00 || low > 0xDFFF) return fail("unpaired high surrogate");
                        cp =
                            0x10000 + ((cp - 0xD800) << 10) + (static_cast<unsigned>(low) - 0xDC00);
                    }
                    append_utf8(out, cp);
                    break;
                }
                default: return fail("bad escape");
            }
        }
    }

    std::string_view s_;
    std::size_t pos_ = 0;
    std::string error_;
};

}  // namespace

std::string json_error(std::string_view text) { return Checker(text).run(); }

}  // namespace semguard::test

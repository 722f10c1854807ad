// The small encodings the engine uses in more than one place, each defined
// once: percent and hex codecs, octal modes, FNV-1a hashing, path splitting.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace semguard {

// ---- hex -------------------------------------------------------------------

// 0..15 for [0-9a-fA-F], else -1.
int hex_digit_value(char c);
// `value` as 16 lowercase hex digits: "00000000deadbeef".
std::string hex16(uint64_t value);

// ---- percent encoding ------------------------------------------------------

// Which bytes stand for themselves; every other byte is written as %XX.
using PlainByte = bool (*)(unsigned char c);

// Appends `text` with every byte that is not `plain` as %XX (upper-case hex).
void append_percent_encoded(std::string& out, std::string_view text, PlainByte plain);
// The reverse: false when `text` holds a byte that is neither `plain` nor a
// well-formed %XX.
bool percent_decode(std::string_view text, PlainByte plain, std::string& out);

// ---- octal -----------------------------------------------------------------

// Permission bits as ipcs and chmod write them: at least four octal digits,
// "0600", "1660". Callers mask what they do not want shown.
std::string octal_mode(unsigned mode);

// ---- FNV-1a ----------------------------------------------------------------

constexpr uint64_t kFnv1aOffset = 14695981039346656037ULL;
// FNV-1a 64 of `bytes`, continuing from `hash` (the offset basis to start).
uint64_t fnv1a_64(std::string_view bytes, uint64_t hash = kFnv1aOffset);

// ---- paths -----------------------------------------------------------------

struct PathParts {
    std::string dir_prefix;  // up to and including the last '/', or "" for a bare name
    std::string base;        // after the last '/'
};
PathParts split_path(std::string_view path);
// The directory a path lies in: "." for a bare name, "/" for "/x".
std::string dir_of(std::string_view path);

}  // namespace semguard

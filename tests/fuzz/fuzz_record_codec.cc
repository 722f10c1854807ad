// libFuzzer harness for the state file decoder: the file decides what a later
// start removes, so it is untrusted input.
//
// Properties, for any bytes x:
//   - decode_record(x) returns (no crash, hang, leak or undefined behaviour;
//     ASan/UBSan and libFuzzer's timeout and RSS limit watch for those);
//   - a refusal says why;
//   - if it decodes, encode(decode(x)) decodes to the same record.
// tests/unit/fuzz_corpus_replay_test.cc checks the same on the committed corpus.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "record/record_codec.h"

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_record_codec: %s\n%s\n", what, detail.c_str());
    std::abort();
}

void check(std::string_view text) {
    const semguard::DecodeResult first = semguard::decode_record(text);
    if (!first.ok()) {
        if (first.error().message.empty()) fail("refused without a reason", "");
        return;
    }
    // encode_record writes every field in one canonical form, so equal
    // encodings mean equal records (Record has no operator==).
    const std::string encoded = semguard::encode_record(first.value());
    const semguard::DecodeResult second = semguard::decode_record(encoded);
    if (!second.ok())
        fail("encode(decode(x)) is refused", second.error().describe() + "\n" + encoded);
    if (semguard::encode_record(second.value()) != encoded)
        fail("encode(decode(x)) decodes to another record", encoded);
}

// Nearly every mutation breaks the checksum, and the decoder would only ever
// accept the seeds. Repairing the end line (an independent implementation of
// the documented format) lets the fuzzer reach the accepting paths as well.
std::string with_valid_end_line(std::string_view text) {
    std::string body(text.substr(0, text.rfind("\nend ") + 1));  // npos + 1 == 0: keep nothing
    if (body.empty()) {
        body = std::string(text);
        if (!body.empty() && body.back() != '\n') body += '\n';
    }
    uint64_t h = 14695981039346656037ULL;
    size_t lines = 0;
    for (unsigned char c : body) {
        h = (h ^ c) * 1099511628211ULL;
        if (c == '\n') ++lines;
    }
    char checksum[17];
    std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(h));
    return body + "end " + std::to_string(lines) + " " + checksum + "\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    check(text);
    check(with_valid_end_line(text));
    return 0;
}

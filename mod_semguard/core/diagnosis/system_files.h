// The few system files the diagnosis reads (login.defs, logind.conf and its
// drop-ins), behind an interface so the decisions are tested with fake files.
#pragma once

#include <string>
#include <vector>

namespace semguard {

struct TextFile {
    std::string path;
    bool exists = false;
    bool readable = false;  // exists but could not be read: error says why
    std::string content;
    std::string error;
};

class SystemFiles {
public:
    virtual ~SystemFiles() = default;
    // At most `limit` bytes; a file that does not exist is exists=false.
    virtual TextFile read(const std::string& path) = 0;
    // Names of the regular entries of a directory ending in `suffix`; empty
    // when the directory does not exist or cannot be read.
    virtual std::vector<std::string> list(const std::string& dir, const std::string& suffix) = 0;
};

class RealSystemFiles : public SystemFiles {
public:
    TextFile read(const std::string& path) override;
    std::vector<std::string> list(const std::string& dir, const std::string& suffix) override;
};

}  // namespace semguard

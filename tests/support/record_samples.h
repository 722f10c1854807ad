// A sample Record, shared by the tests of the state file's format and of
// whatever reads or writes one: a running server with two sets (one protected
// mpm-accept, one of unknown type) and one set removed from outside.
#pragma once

#include <string>

#include "record/record.h"

namespace semguard::test {

// One set as httpd creates it (key 0x0001e240, owner 0:33, mode 0660, created
// by pid 4242 in generation 2, protected).
RecordedSet make_set(int semid, const std::string& type);

Record sample_record();

// The text with its end line replaced by a correct one (an implementation of
// the documented end line, independent of the codec's), so a test can build a
// file whose only defect is the one under test.
std::string reseal(std::string text);

}  // namespace semguard::test

// The state file's format, defined once: one table per kind of line, naming
// and coding each field (record_codec.h shows what a file looks like).
// Decoding and encoding both walk these tables, so the two cannot drift
// apart. To add a header key, add a row to kHeader; a field of a set line, a
// row to kSetFields (the legend line follows by itself). Internal to record/.
#pragma once

#include <cstddef>

#include "record/record.h"
#include "record/record_grammar.h"

namespace semguard::state_format {

template <class Owner>
struct Field {
    const char* name;
    void (*read)(FieldReader& io, Owner& into);
    void (*write)(FieldWriter& io, const Owner& from);
    // Optional trailing fields (added to the format later; older lines lack
    // them) say when they are written; nullptr: always there.
    bool (*present)(const Owner& from) = nullptr;
};

// The rows of one table, in the order they stand in the file.
template <class Owner>
struct FieldTable {
    const Field<Owner>* rows;
    size_t count;

    size_t size() const { return count; }
    const Field<Owner>& operator[](size_t i) const { return rows[i]; }
    const Field<Owner>* begin() const { return rows; }
    const Field<Owner>* end() const { return rows + count; }
};

// The header: one `key value` line each, exactly once, in this order.
extern const FieldTable<Record> kHeader;
// `set semid key ... type [module]`: one recorded set.
extern const FieldTable<RecordedSet> kSetFields;
// `removed semid type detected_at`: a set found removed from outside.
extern const FieldTable<OutsideRemoval> kRemovedFields;

}  // namespace semguard::state_format

// Rewrites the checksums of a snapshot or log file so that they check out,
// for the fuzz targets. Without it nearly every mutation inside a record
// stops at "record checksum mismatch" and the payload decoders behind the
// CRCs (command.cc, files.cc) are out of the fuzzer's reach.
#ifndef STASH_DURABLE_MEMORY_FUZZ_CHECKSUM_REPAIR_H_
#define STASH_DURABLE_MEMORY_FUZZ_CHECKSUM_REPAIR_H_

#include <string>
#include <string_view>

namespace stash::durable {

// `file` with the header CRC, each whole record's payload and frame CRCs
// and (snapshots) the end record's file CRC recomputed; lengths, magic and
// every other byte untouched, so a torn or cut-short tail stays torn.
std::string with_checksums_repaired(std::string_view file);

}  // namespace stash::durable

#endif  // STASH_DURABLE_MEMORY_FUZZ_CHECKSUM_REPAIR_H_

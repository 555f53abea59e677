// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "orchestrator/trace.hpp"

namespace nmz::core::experiment {

// What a run looked like, abstracted so that runs that behaved the same get
// the same signature (docs/experiments.md, "Run signatures", states the
// rules). Unlike trace_signature, which tells interleavings apart, this
// forgets what does not describe behaviour: times (but for coarse hold
// buckets), per-run ports, uuids, TCP sequence numbers, pure ACKs, how
// often a message repeats in a row and everything after the first few
// messages each receiver got.
struct RunSignature {
  std::string id;    // 16 hex digits: FNV-1a-64 of `text`
  std::string text;  // human-readable, "; "-separated parts
};

// How many steps of each receiver's inbox the signature keeps.
inline constexpr std::size_t kSignatureInboxDepth = 12;
// Events held this long or longer are named in the "held" part.
inline constexpr std::chrono::milliseconds kSignatureHeldThreshold{200};

// The trace's part of the text: "recv R: S1 S2 ...", "faults: ...",
// "held>=B: ..."; empty for a trace with nothing to say.
std::string trace_abstract(const Trace& trace);

// The user's `signature` script output as one line: lines trimmed, empty
// ones dropped, joined with " / ", at most 512 bytes.
std::string script_abstract(std::string_view output);

// Combines the parts ("script: ..." first); either may be empty.
RunSignature make_run_signature(std::string_view script_part, std::string_view trace_part);

}  // namespace nmz::core::experiment

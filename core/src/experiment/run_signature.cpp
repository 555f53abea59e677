// SPDX-License-Identifier: Apache-2.0
#include "experiment/run_signature.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <vector>

#include "util/hex_digest.hpp"

namespace nmz::core::experiment {

namespace {

constexpr std::size_t kScriptPartBytes = 512;
constexpr std::size_t kHeldLabels = 4;

bool is_hex(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }
bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_word(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

bool is_uuid_at(std::string_view text, std::size_t i) {
  constexpr std::string_view shape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  if (text.size() - i < shape.size()) return false;
  for (std::size_t k = 0; k < shape.size(); ++k) {
    if (shape[k] == '-' ? text[i + k] != '-' : !is_hex(text[i + k])) return false;
  }
  return i + shape.size() == text.size() || !is_word(text[i + shape.size()]);
}

// One alphanumeric word without its per-run parts.
void append_word(std::string& out, std::string_view word) {
  const bool all_hex = std::all_of(word.begin(), word.end(), is_hex);
  if (all_hex && word.size() >= 8 && std::any_of(word.begin(), word.end(), is_digit)) {
    out += "<hex>";
    return;
  }
  if (word.size() > 2 && word.substr(0, 2) == "0x" && std::all_of(word.begin() + 2, word.end(), is_hex)) {
    out += "0x#";
    return;
  }
  for (std::size_t i = 0; i < word.size();) {
    std::size_t j = i;
    while (j < word.size() && is_digit(word[j])) ++j;
    if (j - i >= 4) {
      out += '#';
    } else if (j == i) {
      out += word[i];
      ++j;
    } else {
      out.append(word.substr(i, j - i));
    }
    i = j;
  }
}

// Uuids, long hex words, 0x addresses and numbers of four or more digits
// (ports, pids, times) change from run to run; small numbers (node ids,
// epochs) usually do not.
std::string without_run_specifics(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (is_uuid_at(text, i) && (i == 0 || !is_word(text[i - 1]))) {
      out += "<uuid>";
      i += 36;
      continue;
    }
    if (!is_word(text[i])) {
      out += text[i++];
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_word(text[j])) ++j;
    append_word(out, text.substr(i, j - i));
    i = j;
  }
  return out;
}

// Printable ASCII only, so that the text is one line and valid JSON.
std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x80 ? '?' : std::isprint(byte) != 0 ? c : ' ';
  }
  return out;
}

std::vector<std::string_view> split_spaces(std::string_view text) {
  std::vector<std::string_view> tokens;
  for (std::size_t i = 0; i < text.size();) {
    auto j = text.find(' ', i);
    if (j == std::string_view::npos) j = text.size();
    if (j > i) tokens.push_back(text.substr(i, j - i));
    i = j + 1;
  }
  return tokens;
}

// What a packet's replay hint ("tcp A>B FLAGS LENGTH DIGEST", "udp A>B
// LENGTH DIGEST") says about its kind.
enum class PacketKind { data, connect, reset, empty };

PacketKind packet_kind(std::string_view hint) {
  auto tokens = split_spaces(hint);
  if (tokens.size() == 5 && tokens[0] == "tcp") {
    if (tokens[2].find('S') != std::string_view::npos) return PacketKind::connect;
    if (tokens[2].find('R') != std::string_view::npos) return PacketKind::reset;
    return tokens[3] == "0" ? PacketKind::empty : PacketKind::data;
  }
  if (tokens.size() == 4 && tokens[0] == "udp" && tokens[2] == "0") return PacketKind::empty;
  return PacketKind::data;
}

// Endpoint names: the user's node names stay; Namazu's automatic
// "entity-ADDR:PORT" names become "ADDR#k", k counting the ports of ADDR in
// the order they first appear, because ports change from run to run (the
// kernel's ephemeral ones, and those a run derives from its slot).
class EndpointNames {
 public:
  std::string name(const std::string& entity) {
    constexpr std::string_view prefix = "entity-";
    const auto colon = entity.rfind(':');
    if (entity.rfind(prefix, 0) != 0 || colon == std::string::npos || colon < prefix.size()) return entity;
    auto [it, added] = names_.try_emplace(entity);
    if (added) {
      const std::string address = entity.substr(prefix.size(), colon - prefix.size());
      it->second = address + "#" + std::to_string(ports_per_address_[address]++);
    }
    return it->second;
  }

 private:
  std::map<std::string, std::string> names_;
  std::map<std::string, int> ports_per_address_;
};

struct Abstracted {
  std::string receiver;  // whose inbox the event goes to
  std::string step;      // what the receiver saw
  std::string label;     // the event in "faults" and "held"
  bool skip = false;     // says nothing about behaviour (pure ACKs, NopEvents)
};

Abstracted abstracted(const sdk::Event& event, EndpointNames& names) {
  if (event.class_name == sdk::event_class::packet) {
    const std::string src = names.name(sdk::option_string(event.option, "src_entity").value_or("?"));
    const std::string dst = names.name(sdk::option_string(event.option, "dst_entity").value_or("?"));
    const PacketKind kind = packet_kind(event.replay_hint);
    const std::string step = src + (kind == PacketKind::connect ? "+" : kind == PacketKind::reset ? "!" : "");
    return {dst, step, src + ">" + dst, kind == PacketKind::empty};
  }
  const std::string what = without_run_specifics(event.replay_hint.empty() ? event.class_name : event.replay_hint);
  return {event.entity, what, event.entity + " " + what, event.class_name == sdk::event_class::nop};
}

std::string power_of_two_bucket(std::size_t count) {
  std::size_t bucket = 1;
  while (bucket * 2 <= count) bucket *= 2;
  return bucket == 1 ? "" : " x" + std::to_string(bucket) + "+";
}

// 0: from kSignatureHeldThreshold, 1: from 1 s, 2: from 10 s.
int held_bucket(std::chrono::nanoseconds held) {
  if (held >= std::chrono::seconds(10)) return 2;
  return held >= std::chrono::seconds(1) ? 1 : 0;
}
constexpr std::string_view kHeldBucketNames[] = {"0.2s", "1s", "10s"};

}  // namespace

std::string trace_abstract(const Trace& trace) {
  EndpointNames names;
  std::map<std::string, std::vector<std::string>> inboxes;
  std::map<std::string, std::size_t> faults;
  std::map<int, std::set<std::string>> held;  // bucket -> labels
  for (const auto& entry : trace) {
    if (entry.action.class_name == sdk::action_class::shell) {
      ++faults["shell " + without_run_specifics(sdk::option_string(entry.action.option, "command").value_or(""))];
    }
    if (!entry.event) continue;
    const Abstracted event = abstracted(*entry.event, names);
    if (entry.action.class_name.find("Fault") != std::string::npos) ++faults["fault " + event.label];
    if (entry.action_triggered - entry.event_arrived >= kSignatureHeldThreshold) {
      held[held_bucket(entry.action_triggered - entry.event_arrived)].insert(event.label);
    }
    if (event.skip) continue;
    auto& inbox = inboxes[event.receiver];
    if (inbox.size() < kSignatureInboxDepth && (inbox.empty() || inbox.back() != event.step)) inbox.push_back(event.step);
  }
  std::vector<std::string> parts;
  for (const auto& [receiver, steps] : inboxes) {
    std::string part = "recv " + receiver + ":";
    for (const auto& step : steps) part += " " + step;
    parts.push_back(std::move(part));
  }
  if (!faults.empty()) {
    std::string part = "faults:";
    for (const auto& [label, count] : faults) part += " " + label + power_of_two_bucket(count) + ",";
    part.pop_back();
    parts.push_back(std::move(part));
  }
  if (!held.empty()) {
    // Only the longest bucket: which events a policy singled out, not the
    // spread of ordinary delays.
    const auto& [bucket, labels] = *held.rbegin();
    std::string part = "held>=" + std::string(kHeldBucketNames[bucket]) + ":";
    std::size_t shown = 0;
    for (const auto& label : labels) {
      if (shown++ == kHeldLabels) break;
      part += " " + label + ",";
    }
    part.pop_back();
    if (labels.size() > kHeldLabels) part += " +" + std::to_string(labels.size() - kHeldLabels) + " more";
    parts.push_back(std::move(part));
  }
  std::string text;
  for (const auto& part : parts) text += (text.empty() ? "" : "; ") + part;
  return printable(text);
}

std::string script_abstract(std::string_view output) {
  std::string joined;
  for (std::size_t start = 0; start < output.size();) {
    auto stop = output.find('\n', start);
    if (stop == std::string_view::npos) stop = output.size();
    const std::string_view line = output.substr(start, stop - start);
    start = stop + 1;
    const auto begin = line.find_first_not_of(" \t\r");
    if (begin == std::string_view::npos) continue;
    const auto end = line.find_last_not_of(" \t\r");
    joined += (joined.empty() ? "" : " / ") + std::string(line.substr(begin, end - begin + 1));
  }
  return printable(joined.substr(0, kScriptPartBytes));
}

RunSignature make_run_signature(std::string_view script_part, std::string_view trace_part) {
  std::string text;
  if (!script_part.empty()) text = "script: " + std::string(script_part);
  if (!trace_part.empty()) text += (text.empty() ? "" : "; ") + std::string(trace_part);
  if (text.empty()) text = "(nothing observed)";
  return {fnv1a64_hex(text), text};
}

}  // namespace nmz::core::experiment

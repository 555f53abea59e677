// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// The few pieces of the protobuf (proto2) binary encoding that Namazu's
// inspector messages use: varint and length-delimited fields. Unknown
// fields of the other wire types are skipped, as protobuf does.
namespace nmz::namazu_pb {

enum class WireType : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

class ProtoWriter {
 public:
  // int32 fields are sign-extended to 64 bits, as protobuf encodes them.
  void add_int32(std::uint32_t field, std::int32_t value);
  void add_string(std::uint32_t field, std::string_view value);
  // An embedded message, already encoded.
  void add_message(std::uint32_t field, std::string_view encoded) { add_string(field, encoded); }
  [[nodiscard]] const std::string& bytes() const noexcept { return out_; }
  std::string take() noexcept { return std::move(out_); }

 private:
  void put_varint(std::uint64_t value);
  std::string out_;
};

// One field as read from the input. `text` is a length-delimited field's
// bytes (a string or an embedded message) and points into the input.
struct ProtoField {
  std::uint32_t number = 0;
  WireType type = WireType::varint;
  std::uint64_t number_value = 0;
  std::string_view text;
};

// Reads fields one after the other. Thread: one.
class ProtoReader {
 public:
  explicit ProtoReader(std::string_view input) : input_(input) {}
  // The next field, nothing at the end of the input, or sets error() and
  // returns nothing for malformed input (a truncated varint or length, a
  // group, a field number 0).
  std::optional<ProtoField> next();
  [[nodiscard]] const std::string& error() const noexcept { return error_; }

 private:
  std::optional<std::uint64_t> read_varint();
  std::optional<ProtoField> fail(std::string message);
  std::string_view input_;
  std::size_t at_ = 0;
  std::string error_;
};

// An int32 field's value: protobuf keeps the low 32 bits of the varint.
[[nodiscard]] inline std::int32_t as_int32(const ProtoField& field) noexcept {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(field.number_value));
}

}  // namespace nmz::namazu_pb

// SPDX-License-Identifier: Apache-2.0
#include "proto_wire.hpp"

namespace nmz::namazu_pb {

void ProtoWriter::put_varint(std::uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void ProtoWriter::add_int32(std::uint32_t field, std::int32_t value) {
  put_varint(std::uint64_t{field} << 3 | static_cast<std::uint64_t>(WireType::varint));
  put_varint(static_cast<std::uint64_t>(static_cast<std::int64_t>(value)));
}

void ProtoWriter::add_string(std::uint32_t field, std::string_view value) {
  put_varint(std::uint64_t{field} << 3 | static_cast<std::uint64_t>(WireType::length_delimited));
  put_varint(value.size());
  out_.append(value);
}

std::optional<std::uint64_t> ProtoReader::read_varint() {
  std::uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (at_ >= input_.size()) return std::nullopt;
    auto byte = static_cast<std::uint8_t>(input_[at_++]);
    value |= std::uint64_t{byte & 0x7Fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

std::optional<ProtoField> ProtoReader::fail(std::string message) {
  error_ = std::move(message) + " at byte " + std::to_string(at_);
  return std::nullopt;
}

std::optional<ProtoField> ProtoReader::next() {
  if (!error_.empty() || at_ >= input_.size()) return std::nullopt;
  auto key = read_varint();
  if (!key) return fail("truncated field key");
  ProtoField field;
  if ((*key >> 3) == 0 || (*key >> 3) > 0x1FFFFFFF) return fail("invalid field number");
  field.number = static_cast<std::uint32_t>(*key >> 3);
  switch (*key & 7) {
    case 0: {
      field.type = WireType::varint;
      auto value = read_varint();
      if (!value) return fail("truncated varint of field " + std::to_string(field.number));
      field.number_value = *value;
      return field;
    }
    case 1:
    case 5: {
      field.type = (*key & 7) == 1 ? WireType::fixed64 : WireType::fixed32;
      std::size_t size = field.type == WireType::fixed64 ? 8 : 4;
      if (input_.size() - at_ < size) return fail("truncated fixed-size field " + std::to_string(field.number));
      field.text = input_.substr(at_, size);
      at_ += size;
      return field;
    }
    case 2: {
      field.type = WireType::length_delimited;
      auto size = read_varint();
      if (!size || *size > input_.size() - at_) {
        return fail("length of field " + std::to_string(field.number) + " runs past the message");
      }
      field.text = input_.substr(at_, static_cast<std::size_t>(*size));
      at_ += static_cast<std::size_t>(*size);
      return field;
    }
    default:
      return fail("unsupported wire type " + std::to_string(*key & 7) + " of field " + std::to_string(field.number));
  }
}

}  // namespace nmz::namazu_pb

// Little-endian encoding helpers for the artifact format. Internal to
// artifact.cc. Values are composed byte by byte, so the format is the same on
// any host byte order and no unaligned loads happen.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/artifact.h"

namespace mlops::artifact_bytes {

class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(v); }
  void U32(uint32_t v) {
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void U64(uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  void I32(int32_t v) { U32(static_cast<uint32_t>(v)); }
  void F64(double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, sizeof bits);
    U64(bits);
  }
  void Bytes(const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + n);
  }
  void Reserve(size_t n) { out_.reserve(n); }
  size_t size() const { return out_.size(); }
  std::vector<uint8_t>& buffer() { return out_; }

 private:
  std::vector<uint8_t> out_;
};

// Reads from a borrowed [data, data + size) window; every read checks the
// remaining length first and throws FormatError("truncated") instead of
// reading past the end.
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  // Throws unless `count` elements of `width` bytes remain. Used before any
  // allocation sized from file contents, so hostile counts fail cheaply.
  void Need(uint64_t count, uint64_t width, const char* what) const {
    // count and width are both < 2^32 where this is called, so the product
    // cannot overflow uint64.
    if (count * width > remaining()) {
      throw FormatError("truncated", std::string("artifact ends inside ") + what);
    }
  }

  uint8_t U8(const char* what) {
    Need(1, 1, what);
    return *p_++;
  }
  uint32_t U32(const char* what) {
    Need(1, 4, what);
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= uint32_t{p_[i]} << (8 * i);
    p_ += 4;
    return v;
  }
  uint64_t U64(const char* what) {
    Need(1, 8, what);
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= uint64_t{p_[i]} << (8 * i);
    p_ += 8;
    return v;
  }
  int32_t I32(const char* what) { return static_cast<int32_t>(U32(what)); }
  double F64(const char* what) {
    const uint64_t bits = U64(what);
    double v;
    std::memcpy(&v, &bits, sizeof v);
    return v;
  }
  // Copies n bytes; the caller has capped n.
  std::string String(uint32_t n, const char* what) {
    Need(n, 1, what);
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

}  // namespace mlops::artifact_bytes

// The model artifact format: serialize and parse-with-validation.
// Layout and rules are documented in docs/model-format.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/model.h"

namespace mlops {

// Raised for any malformed artifact or structurally invalid model. `code` is
// a stable machine-readable identifier (e.g. "bad_magic", "truncated",
// "checksum_mismatch", "child_out_of_range"); the message is for humans.
class FormatError : public std::runtime_error {
 public:
  FormatError(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Structural checks shared by the parser and by trainers before they emit a
// model: sizes, index ranges, reachability (no cycles, no shared children),
// finite values. Throws FormatError.
void ValidateModel(const Model& model);

std::vector<uint8_t> SerializeModel(const Model& model);

// Never reads outside [data, data + size); throws FormatError on any problem.
Model ParseModel(const uint8_t* data, size_t size);

}  // namespace mlops

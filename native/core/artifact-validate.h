// Internal to artifact*.cc: the header-only part of ValidateModel, which the
// parser runs before it reads any tree or coefficient, so that a header that
// contradicts itself is reported as such rather than as a misparsed body.
#pragma once

#include "core/model.h"

namespace mlops {

// Enums, counts, post-transform consistency, leaf_width, feature names and
// params_json. Throws FormatError.
void ValidateModelHeader(const Model& model);

// Class labels (format version 2): kind, count, finiteness, uniqueness.
void ValidateLabels(const Model& model);

}  // namespace mlops

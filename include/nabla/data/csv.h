#pragma once
/// Numbers from a CSV file into a 2-D tensor (rows × columns).
///   auto t = nabla::data::read_csv("iris.csv", nabla::data::CsvOptions().header(true));
#include <string>

#include "nabla/nn/options.h"
#include "nabla/tensor.h"

namespace nabla::data {

struct CsvOptions {
  /// The first line holds column names and is skipped.
  NABLA_ARG(bool, header) = false;
  NABLA_ARG(char, delimiter) = ',';
  /// float32/float64 parse decimal numbers (nan and inf too); int32/int64/uint8 parse integers
  /// that must fit; bool parses 0 and 1.
  NABLA_ARG(ScalarType, dtype) = kFloat;
};

/// Every non-empty line is a row; fields may be padded with spaces or double-quoted. All rows
/// must have as many fields as the first. A field that is not a number of the dtype gives a
/// nabla::Error naming the file, the byte offset, the line and the column.
Tensor read_csv(const std::string& path, const CsvOptions& options = {});

}  // namespace nabla::data

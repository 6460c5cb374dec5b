// Fuzzes nabla::data::read_csv; the first byte picks the options (header, delimiter, dtype).
#include <nabla/data/csv.h>

#include "fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t pick = data[0];
  static const nabla::ScalarType dtypes[] = {nabla::kFloat, nabla::kDouble, nabla::kInt, nabla::kLong, nabla::kByte,
                                             nabla::kBool};
  auto options = nabla::data::CsvOptions()
                     .header(pick & 1)
                     .delimiter((pick & 2) ? ';' : ',')
                     .dtype(dtypes[(pick >> 2) % 6]);
  const std::string& path = nabla::fuzz::write_input(data + 1, size - 1, ".csv");
  nabla::fuzz::expect_only_nabla_errors([&] { (void)nabla::data::read_csv(path, options).sum(); });
  return 0;
}

// NumPy's .npz: a zip archive of .npy members, stored (numpy.savez) or deflated
// (numpy.savez_compressed). numpy writes members with zip64 local headers (force_zip64), so
// sizes and offsets are taken from the central directory, whose zip64 extra fields are read too.
#include <set>

#include "io/bytes.h"
#include "io/zip.h"
#include "io/npy_format.h"
#include "nabla/data/npy.h"

namespace nabla::data {

namespace {

std::vector<std::pair<std::string, Tensor>> read_npz_file(const std::string& path) {
  const std::vector<uint8_t> bytes = io::read_file(path);
  const io::ZipReader zip(bytes, "npz", path);
  std::vector<std::pair<std::string, Tensor>> out;
  std::set<std::string> seen;
  for (const io::ZipMember& m : zip.members()) {
    const io::ZipReader::Data d = zip.read(m);
    const size_t at = static_cast<size_t>(m.local_offset);
    std::string name = m.name;
    if (name.size() < 4 || name.compare(name.size() - 4, 4, ".npy") != 0)
      zip.fail(at, "expected members named <array>.npy, got '" + m.name + "'");
    name.resize(name.size() - 4);
    if (!seen.insert(name).second) zip.fail(at, "expected one member per array name, got '" + m.name + "' twice");
    // Errors inside a deflated member give offsets into the decompressed .npy and say so.
    const std::string kind = d.inflated ? "npz member '" + m.name + "' (decompressed) in the" : "npz";
    out.emplace_back(name, io::parse_npy(d.data, d.size, kind.c_str(), path, d.inflated ? 0 : d.file_offset));
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, Tensor>> read_npz(const std::string& path) {
  return io::guard_reader("npz", path, [&] { return read_npz_file(path); });
}

void write_npz(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
               bool compressed) {
  io::ZipWriter zip("write_npz", path);
  std::vector<std::vector<uint8_t>> members;
  members.reserve(tensors.size());
  std::set<std::string> seen;
  for (const auto& [name, tensor] : tensors) {
    NABLA_CHECK(seen.insert(name).second, "write_npz: the name '", name, "' appears twice");
    const Tensor t = tensor.detach().contiguous();
    std::vector<uint8_t>& npy = members.emplace_back(io::npy_header(t));
    const auto* raw = static_cast<const uint8_t*>(t.data_ptr());
    npy.insert(npy.end(), raw, raw + t.nbytes());
    zip.add(name + ".npy", npy.data(), npy.size(), compressed);
  }
  zip.finish();
  io::write_file_atomic(path, zip.chunks());
}

}  // namespace nabla::data

// Checkpoint: named sections of training state in one safetensors file
// (Note [Checkpoint key layout] in include/nabla/checkpoint.h).
#include "nabla/checkpoint.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>

#include "io/bytes.h"
#include "io/json.h"
#include "io/safetensors.h"
#include "nabla/error.h"
#include "nabla/functions.h"

namespace nabla {
namespace {

using json = nlohmann::json;
using optim::OptionMap;
using optim::OptionValue;

json double_to_json(double v) {
  if (std::isfinite(v)) return json(v);
  return json{{"float", std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf")}};
}

double double_from_json(const json& j) {
  if (j.is_number()) return j.get<double>();
  NABLA_CHECK(j.is_object() && j.contains("float") && j["float"].is_string(), "Checkpoint: expected a float, got ",
              io::json_excerpt(j));
  const std::string s = j["float"].get<std::string>();
  if (s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-inf") return -std::numeric_limits<double>::infinity();
  NABLA_CHECK(s == "nan", "Checkpoint: expected a float, got ", io::json_excerpt(j));
  return std::numeric_limits<double>::quiet_NaN();
}

json value_to_json(const OptionValue& v) {
  return std::visit(
      [](const auto& x) -> json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, double>) {
          return double_to_json(x);
        } else if constexpr (std::is_same_v<T, std::vector<double>>) {
          json a = json::array();
          for (double d : x) a.push_back(double_to_json(d));
          return a;
        } else {
          return json(x);
        }
      },
      v);
}

OptionValue value_from_json(const json& j) {
  if (j.is_null()) return std::monostate{};
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_number_integer()) return j.get<int64_t>();
  if (j.is_string()) return j.get<std::string>();
  if (j.is_array()) {
    std::vector<double> out;
    for (const auto& e : j) out.push_back(double_from_json(e));
    return out;
  }
  return double_from_json(j);
}

json map_to_json(const OptionMap& map) {
  json o = json::object();
  for (const auto& [k, v] : map) o[k] = value_to_json(v);
  return o;
}

OptionMap map_from_json(const json& j) {
  NABLA_CHECK(j.is_object(), "Checkpoint: expected a JSON object of options, got ", io::json_excerpt(j));
  OptionMap map;
  for (const auto& [k, v] : j.items()) map[k] = value_from_json(v);
  return map;
}

json scheduler_to_json(const optim::SchedulerStateDict& s) {
  json o{{"values", map_to_json(s.values)}, {"schedulers", json::array()}};
  for (const auto& child : s.schedulers) o["schedulers"].push_back(scheduler_to_json(child));
  return o;
}

optim::SchedulerStateDict scheduler_from_json(const json& j) {
  optim::SchedulerStateDict s;
  s.values = map_from_json(j.at("values"));
  for (const auto& child : j.at("schedulers")) s.schedulers.push_back(scheduler_from_json(child));
  return s;
}

// A state key of an optimizer section: the decimal index of a parameter, as written.
int64_t parse_index(const std::string& section, const std::string& key) {
  int64_t v = 0;
  bool ok = !key.empty() && key.size() <= 18 && (key == "0" || key[0] != '0');
  for (char c : key) {
    ok = ok && c >= '0' && c <= '9';
    v = v * 10 + (c - '0');
  }
  NABLA_CHECK(ok, "Checkpoint section '", section, "' has the state key '", io::excerpt(key),
              "', which is not a parameter index");
  return v;
}

// A count of tensors in a tensor list; it cannot exceed the tensors the file holds.
int64_t list_length(const std::string& section, const std::string& list, const json& n, size_t tensors) {
  NABLA_CHECK(n.is_number_unsigned() && n.get<uint64_t>() <= tensors, "Checkpoint section '", section,
              "' gives the tensor list '", io::excerpt(list), "' a length of ", io::json_excerpt(n),
              ", but the file holds ", tensors, " tensors");
  return n.get<int64_t>();
}

// The tensor keys (without the section prefix) a section of this kind holds; `tensors` is how
// many the file holds.
std::vector<std::string> section_keys(const std::string& name, const json& j, size_t tensors) {
  const std::string kind = j.at("kind").get<std::string>();
  std::vector<std::string> keys;
  if (kind == "module" || kind == "data_loader") {
    for (const auto& k : j.at("keys")) keys.push_back(name + "." + k.get<std::string>());
  } else if (kind == "optimizer") {
    for (const auto& [index, st] : j.at("state").items()) {
      parse_index(name, index);
      const std::string base = name + ".state." + index + ".";
      for (const auto& t : st.at("tensors")) keys.push_back(base + t.get<std::string>());
      for (const auto& [list, n] : st.at("tensor_lists").items()) {
        const int64_t len = list_length(name, list, n, tensors);
        for (int64_t i = 0; i < len; ++i) keys.push_back(base + list + "." + std::to_string(i));
      }
    }
  } else if (kind == "generator") {
    keys.push_back(name);
  } else {
    NABLA_CHECK(kind == "scheduler" || kind == "int" || kind == "string", "unknown section kind '",
                io::excerpt(kind), "'");
  }
  return keys;
}

json parse_section(const std::string& name, const std::string& text) {
  io::ParsedJson p = io::parse_json(text);
  NABLA_CHECK(p.error.empty(), "section '", name, "' is not a checkpoint section (", p.error, " at byte ", p.error_at,
              " of its JSON)");
  NABLA_CHECK(p.value.is_object() && p.value.contains("kind") && p.value["kind"].is_string(), "section '", name,
              "' is not a checkpoint section (expected a JSON object with a \"kind\")");
  return std::move(p.value);
}

}  // namespace

void Checkpoint::add_section(const std::string& name, std::string text) {
  NABLA_CHECK(!name.empty(), "Checkpoint: a section needs a name");
  NABLA_CHECK(!contains(name), "Checkpoint: a section named '", name, "' already exists");
  sections_.emplace(name, std::move(text));
}

void Checkpoint::add_module(const nn::Module& module, const std::string& name) {
  add_state_dict(module.state_dict(), name);
}

void Checkpoint::add_state_dict(const OrderedDict<std::string, Tensor>& state_dict, const std::string& name) {
  json keys = json::array();
  for (const auto& item : state_dict) keys.push_back(item.key());
  add_section(name, json{{"kind", "module"}, {"keys", keys}}.dump());
  for (const auto& item : state_dict) {
    const std::string key = name + "." + item.key();
    tensors_[key] = item.value().detach().clone();
    order_.push_back(key);
  }
}

void Checkpoint::add_optimizer(const optim::Optimizer& optimizer, const std::string& name) {
  add_optimizer_state(optimizer.state_dict(), name);
}

void Checkpoint::add_optimizer_state(const optim::OptimizerStateDict& state, const std::string& name) {
  json st = json::object();
  for (const auto& [index, ps] : state.state) {
    json tensors = json::array();
    for (const auto& [k, t] : ps.tensors) tensors.push_back(k);
    json lists = json::object();
    for (const auto& [k, list] : ps.tensor_lists) lists[k] = list.size();
    st[std::to_string(index)] = json{{"tensors", tensors}, {"tensor_lists", lists}, {"values", map_to_json(ps.values)}};
  }
  json groups = json::array();
  for (const auto& g : state.param_groups)
    groups.push_back(json{{"options", map_to_json(g.options)}, {"params", g.params}});
  add_section(name, json{{"kind", "optimizer"}, {"state", st}, {"param_groups", groups}}.dump());
  for (const auto& [k, t] : state.flat_tensors()) {
    const std::string key = name + "." + k;
    tensors_[key] = t;
    order_.push_back(key);
  }
}

void Checkpoint::add_scheduler(const optim::LRScheduler& scheduler, const std::string& name) {
  add_scheduler_state(scheduler.state_dict(), name);
}

void Checkpoint::add_scheduler_state(const optim::SchedulerStateDict& state, const std::string& name) {
  json j = scheduler_to_json(state);
  j["kind"] = "scheduler";
  add_section(name, j.dump());
}

void Checkpoint::add_data_loader(const data::detail::DataLoaderBase& loader, const std::string& name) {
  add_data_loader_state(loader.state_dict(), name);
}

void Checkpoint::add_data_loader_state(const data::DataLoaderState& state, const std::string& name) {
  json keys = json::array();
  for (const auto& [k, t] : state) keys.push_back(k);
  add_section(name, json{{"kind", "data_loader"}, {"keys", keys}}.dump());
  for (const auto& [k, t] : state) {
    const std::string key = name + "." + k;
    NABLA_CHECK(!tensors_.count(key), "Checkpoint: duplicate key '", key, "'");
    tensors_[key] = t.detach().clone();
    order_.push_back(key);
  }
}

void Checkpoint::add_generator(const Generator& generator, const std::string& name) {
  add_generator_state(generator.get_state(), name);
}

void Checkpoint::add_generator_state(const std::vector<uint8_t>& state, const std::string& name) {
  add_section(name, json{{"kind", "generator"}}.dump());
  Tensor t = empty({static_cast<int64_t>(state.size())}, kByte);
  if (!state.empty()) std::memcpy(t.data_ptr<uint8_t>(), state.data(), state.size());
  tensors_[name] = t;
  order_.push_back(name);
}

void Checkpoint::set_int(const std::string& name, int64_t value) {
  add_section(name, json{{"kind", "int"}, {"value", value}}.dump());
}

void Checkpoint::set_string(const std::string& name, const std::string& value) {
  add_section(name, json{{"kind", "string"}, {"value", value}}.dump());
}

bool Checkpoint::contains(const std::string& name) const { return sections_.count(name) > 0; }

std::vector<std::string> Checkpoint::sections() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : sections_) out.push_back(k);
  return out;
}

namespace {

json get_section(const std::map<std::string, std::string>& sections, const std::string& name, const char* kind) {
  auto it = sections.find(name);
  if (it == sections.end()) {
    std::string names;
    for (const auto& [k, v] : sections) names += (names.empty() ? "" : ", ") + k;
    NABLA_CHECK(false, "Checkpoint has no section '", name, "' (", kind,
                "); its sections are: ", names.empty() ? "(none)" : names);
  }
  json j = parse_section(name, it->second);
  NABLA_CHECK(j["kind"] == kind, "Checkpoint section '", name, "' is of kind '", j["kind"].get<std::string>(),
              "', not '", kind, "'");
  return j;
}

}  // namespace

const Tensor& Checkpoint::tensor(const std::string& key, const std::string& section) const {
  auto it = tensors_.find(key);
  NABLA_CHECK(it != tensors_.end(), "Checkpoint section '", section, "' lacks the tensor '", key, "'");
  return it->second;
}

OrderedDict<std::string, Tensor> Checkpoint::module_state(const std::string& name) const {
  const json j = get_section(sections_, name, "module");
  OrderedDict<std::string, Tensor> out;
  for (const auto& k : j.at("keys")) out.insert(k.get<std::string>(), tensor(name + "." + k.get<std::string>(), name));
  return out;
}

optim::OptimizerStateDict Checkpoint::optimizer_state(const std::string& name) const {
  const json j = get_section(sections_, name, "optimizer");
  optim::OptimizerStateDict out;
  out.source = path_.empty() ? "checkpoint section '" + name + "'"
                             : "section '" + name + "' of checkpoint file '" + path_ + "'";
  for (const auto& [index, st] : j.at("state").items()) {
    auto& ps = out.state[parse_index(name, index)];
    const std::string base = name + ".state." + index + ".";
    for (const auto& t : st.at("tensors")) ps.tensors[t.get<std::string>()] = tensor(base + t.get<std::string>(), name);
    for (const auto& [list, n] : st.at("tensor_lists").items()) {
      auto& v = ps.tensor_lists[list];
      const int64_t len = list_length(name, list, n, tensors_.size());
      for (int64_t i = 0; i < len; ++i) v.push_back(tensor(base + list + "." + std::to_string(i), name));
    }
    ps.values = map_from_json(st.at("values"));
  }
  for (const auto& g : j.at("param_groups")) {
    const json& params = g.at("params");
    NABLA_CHECK(params.is_array(), "Checkpoint section '", name, "' has a parameter group whose \"params\" is not a list");
    std::vector<int64_t> indices;
    for (const auto& i : params) {
      NABLA_CHECK(i.is_number_unsigned() && i.get<uint64_t>() <= uint64_t(INT64_MAX), "Checkpoint section '", name,
                  "' has the parameter index ", io::json_excerpt(i), ", which is not a non-negative integer");
      indices.push_back(i.get<int64_t>());
    }
    out.param_groups.push_back({map_from_json(g.at("options")), std::move(indices)});
  }
  return out;
}

optim::SchedulerStateDict Checkpoint::scheduler_state(const std::string& name) const {
  return scheduler_from_json(get_section(sections_, name, "scheduler"));
}

data::DataLoaderState Checkpoint::data_loader_state(const std::string& name) const {
  const json j = get_section(sections_, name, "data_loader");
  data::DataLoaderState out;
  for (const auto& k : j.at("keys"))
    out.emplace_back(k.get<std::string>(), tensor(name + "." + k.get<std::string>(), name));
  return out;
}

std::vector<uint8_t> Checkpoint::generator_state(const std::string& name) const {
  get_section(sections_, name, "generator");
  const Tensor& t = tensor(name, name);
  NABLA_CHECK(t.dim() == 1 && t.scalar_type() == kByte, "Checkpoint section '", name, "' must hold a 1-D uint8 tensor");
  const Tensor c = t.contiguous();
  const uint8_t* p = c.data_ptr<uint8_t>();
  std::vector<uint8_t> state(p, p + c.numel());
  try {
    CPUGeneratorImpl().set_state(state);  // a scratch generator: the state must be one it accepts
  } catch (const Error& e) {
    NABLA_CHECK(false, "Checkpoint section '", name, "' does not hold a generator state: ", e.what());
  }
  return state;
}

int64_t Checkpoint::get_int(const std::string& name) const {
  const json j = get_section(sections_, name, "int");
  NABLA_CHECK(j.contains("value") && j["value"].is_number_integer(), "Checkpoint section '", name,
              "' has no integer value");
  return j["value"].get<int64_t>();
}

std::string Checkpoint::get_string(const std::string& name) const {
  const json j = get_section(sections_, name, "string");
  NABLA_CHECK(j.contains("value") && j["value"].is_string(), "Checkpoint section '", name, "' has no string value");
  return j["value"].get<std::string>();
}

void Checkpoint::save(const std::string& path) const {
  NamedTensors list;
  list.reserve(order_.size());
  for (const auto& key : order_) list.emplace_back(key, tensors_.at(key));
  nabla::save(list, path, sections_);
}

Checkpoint Checkpoint::load(const std::string& path) {
  io::SafetensorsContent content = io::read_safetensors(path, /*with_tensors=*/true);
  return io::guard_reader("checkpoint", path, [&] {
    Checkpoint c;
    c.path_ = path;
    const size_t count = content.tensors.size();
    std::set<std::string> expected;
    for (const auto& [name, text] : content.metadata) {
      try {
        for (auto& k : section_keys(name, parse_section(name, text), count)) expected.insert(std::move(k));
      } catch (const std::exception& e) {
        NABLA_CHECK(false, "Checkpoint file '", path, "' is malformed: ", io::excerpt(e.what(), 400));
      }
    }
    for (auto& [key, t] : content.tensors) {
      NABLA_CHECK(expected.erase(key) == 1, "Checkpoint file '", path, "' is malformed: the tensor '", io::excerpt(key),
                  "' belongs to no section");
      c.order_.push_back(key);
      c.tensors_[key] = std::move(t);
    }
    NABLA_CHECK(expected.empty(), "Checkpoint file '", path, "' is malformed: the tensor '",
                expected.empty() ? std::string() : io::excerpt(*expected.begin()), "' is missing");
    c.sections_ = std::move(content.metadata);
    // Reading every section once now makes a malformed one fail here, not later in a getter.
    for (const auto& [name, text] : c.sections_) {
      try {
        const std::string kind = parse_section(name, text)["kind"].get<std::string>();
        if (kind == "module") c.module_state(name);
        if (kind == "optimizer") c.optimizer_state(name);
        if (kind == "scheduler") c.scheduler_state(name);
        if (kind == "data_loader") c.data_loader_state(name);
        if (kind == "generator") c.generator_state(name);
        if (kind == "int") c.get_int(name);
        if (kind == "string") c.get_string(name);
      } catch (const std::exception& e) {
        NABLA_CHECK(false, "Checkpoint file '", path, "' is malformed: ", io::excerpt(e.what(), 400));
      }
    }
    return c;
  });
}

}  // namespace nabla

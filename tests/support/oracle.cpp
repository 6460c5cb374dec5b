#include "support/oracle.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <nlohmann/json.hpp>

extern char** environ;

namespace nabla::oracle {

namespace {

using json = nlohmann::json;

class Process {
 public:
  Process() {
    const char* py = std::getenv("NABLA_ORACLE_PYTHON");
    // Debian's interpreter: python3-torch installs for it (not for other pythons on PATH).
    std::string python = py ? py : "/usr/bin/python3";
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) throw std::runtime_error("oracle: pipe failed");
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    std::string script = NABLA_ORACLE_SCRIPT;
    char* argv[] = {python.data(), script.data(), nullptr};
    int rc = posix_spawn(&pid_, python.c_str(), &fa, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    if (rc != 0) throw std::runtime_error("oracle: cannot start " + python + ": " + std::strerror(rc));
    to_ = fdopen(in[1], "w");
    from_ = fdopen(out[0], "r");
    signal(SIGPIPE, SIG_IGN);
  }
  ~Process() {
    if (to_) fclose(to_);
    if (from_) fclose(from_);
    if (pid_ > 0) waitpid(pid_, nullptr, 0);
  }
  json request(const json& req) {
    std::string line = req.dump() + "\n";
    if (fwrite(line.data(), 1, line.size(), to_) != line.size() || fflush(to_) != 0)
      throw std::runtime_error("oracle: the python3-torch process is gone (is python3-torch installed?)");
    std::string resp;
    char buf[65536];
    while (fgets(buf, sizeof buf, from_)) {
      resp += buf;
      if (!resp.empty() && resp.back() == '\n') break;
    }
    if (resp.empty())
      throw std::runtime_error("oracle: no answer from python3-torch (is python3-torch installed? "
                               "run scripts/install-deps.sh)");
    return json::parse(resp);
  }

 private:
  pid_t pid_ = -1;
  FILE* to_ = nullptr;
  FILE* from_ = nullptr;
};

std::mutex g_mutex;
Process& process() {
  static Process p;
  return p;
}

json encode(const Tensor& t0) {
  // float16, int16, int8 travel as their compute types' values (exact) under their own names.
  Tensor t = t0.detach().to(computeType(t0.scalar_type())).contiguous();
  json data = json::array();
  NABLA_DISPATCH_ALL_TYPES(t.scalar_type(), "oracle", [&] {
    const scalar_t* p = t.data_ptr<scalar_t>();
    for (int64_t i = 0; i < t.numel(); ++i) {
      if constexpr (std::is_floating_point_v<scalar_t>) {
        char buf[64];
        double v = static_cast<double>(p[i]);
        if (std::isnan(v)) std::snprintf(buf, sizeof buf, "nan");
        else if (std::isinf(v)) std::snprintf(buf, sizeof buf, v > 0 ? "inf" : "-inf");
        else std::snprintf(buf, sizeof buf, "%a", v);
        data.push_back(buf);
      } else if constexpr (std::is_same_v<scalar_t, bool>) {
        data.push_back(p[i] ? 1 : 0);
      } else {
        data.push_back(static_cast<int64_t>(p[i]));
      }
    }
  });
  return json{{"dtype", std::string(toString(t0.scalar_type()))},
              {"shape", t0.sizes().vec()},
              {"data", data},
              {"requires_grad", t0.requires_grad()}};
}

ScalarType dtype_of(const std::string& s) {
  for (ScalarType t : {kFloat, kDouble, kLong, kInt, kByte, kBool, kHalf, kShort, kChar})
    if (toString(t) == s) return t;
  throw std::runtime_error("oracle: unknown dtype " + s);
}

Tensor decode(const json& j) {
  if (j.contains("scalar")) {
    const std::string kind = j["scalar"];
    if (kind == "bool") return scalar_tensor(j["value"].get<bool>(), kBool);
    if (kind == "int") return scalar_tensor(j["value"].get<int64_t>(), kLong);
    if (kind == "float") return scalar_tensor(std::strtod(j["value"].get<std::string>().c_str(), nullptr), kDouble);
    return Tensor();
  }
  const ScalarType narrow = dtype_of(j["dtype"]), dt = computeType(narrow);
  std::vector<int64_t> shape = j["shape"];
  Tensor t = empty(shape, dt);
  const auto& data = j["data"];
  NABLA_DISPATCH_ALL_TYPES(dt, "oracle", [&] {
    scalar_t* p = t.data_ptr<scalar_t>();
    for (size_t i = 0; i < data.size(); ++i) {
      if constexpr (std::is_floating_point_v<scalar_t>)
        p[i] = static_cast<scalar_t>(std::strtod(data[i].get<std::string>().c_str(), nullptr));
      else if constexpr (std::is_same_v<scalar_t, bool>)
        p[i] = data[i].get<int>() != 0;
      else
        p[i] = static_cast<scalar_t>(data[i].get<int64_t>());
    }
  });
  return t.to(narrow);
}

}  // namespace

const Tensor& Result::tensor(size_t i) const {
  static const Tensor none;
  if (!ok) {
    ADD_FAILURE() << "PyTorch raised " << error_type << ": " << error;
    return none;
  }
  if (i >= outputs.size()) {
    ADD_FAILURE() << "oracle returned " << outputs.size() << " outputs, wanted index " << i;
    return none;
  }
  return outputs[i];
}

Result run(const std::string& code, const Inputs& inputs) {
  json req;
  req["code"] = code;
  req["inputs"] = json::object();
  for (const auto& [name, t] : inputs) req["inputs"][name] = encode(t);
  json resp;
  {
    std::lock_guard<std::mutex> lock(g_mutex);
    resp = process().request(req);
  }
  Result r;
  r.ok = resp["ok"].get<bool>();
  if (!r.ok) {
    r.error = resp["error"].get<std::string>();
    r.error_type = resp["type"].get<std::string>();
    return r;
  }
  for (const auto& o : resp["out"]) {
    if (o.is_null()) {
      r.outputs.emplace_back();
      r.lists.emplace_back();
      r.strings.emplace_back();
      continue;
    }
    if (o.contains("scalar") && o["scalar"] == "list") {
      r.outputs.emplace_back();
      r.lists.push_back(o["value"].get<std::vector<int64_t>>());
      r.strings.emplace_back();
      continue;
    }
    if (o.contains("scalar") && o["scalar"] == "str") {
      r.outputs.emplace_back();
      r.lists.emplace_back();
      r.strings.push_back(o["value"].get<std::string>());
      continue;
    }
    r.outputs.push_back(decode(o));
    r.lists.emplace_back();
    r.strings.emplace_back();
  }
  return r;
}

Tensor eval(const std::string& expr, const Inputs& inputs) {
  Result r = run("out = " + expr, inputs);
  return r.tensor();
}

std::string error_of(const std::string& code, const Inputs& inputs) {
  Result r = run(code, inputs);
  if (r.ok) ADD_FAILURE() << "PyTorch raised no error for: " << code;
  return r.error;
}

}  // namespace nabla::oracle

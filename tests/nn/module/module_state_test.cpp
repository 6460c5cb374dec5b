// Module behaviour that every model relies on, checked against PyTorch: state_dict() and
// load_state_dict() (strict and not, missing/unexpected keys, shape mismatches), train/eval
// propagation, zero_grad, to(kDouble).
#include <sstream>
#include <string>
#include <vector>

#include <nabla/nn/modules/container.h>
#include <nabla/nn/modules/dropout.h>
#include <nabla/nn/modules/linear.h>

#include "support/testing.h"

using namespace nabla;
using nabla::testing::error_message;
using nabla::testing::sample;

namespace {

using StateDict = OrderedDict<std::string, Tensor>;

// A model with a parameter of its own, persistent and non-persistent buffers and a nested
// Sequential.
struct BlockImpl : nn::Cloneable<BlockImpl> {
  BlockImpl() { reset(); }
  void reset() override {
    scale = register_parameter("scale", ones({3}));
    body = register_module("body", nn::Sequential(nn::Linear(4, 3), nn::Dropout(0.5), nn::Linear(3, 3)));
    running = register_buffer("running", zeros({3}));
    scratch = register_buffer("scratch", zeros({2}), /*persistent=*/false);
  }
  Tensor forward(Tensor x) { return body(x) * scale + running; }
  Tensor scale, running, scratch;
  nn::Sequential body{nullptr};
};
NABLA_MODULE(Block);

const char* kPyBlock =
    "nn = torch.nn\n"
    "class Block(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.scale = nn.Parameter(torch.ones(3))\n"
    "        self.body = nn.Sequential(nn.Linear(4, 3), nn.Dropout(0.5), nn.Linear(3, 3))\n"
    "        self.register_buffer('running', torch.zeros(3))\n"
    "        self.register_buffer('scratch', torch.zeros(2), persistent=False)\n"
    "    def forward(self, x):\n"
    "        return self.body(x) * self.scale + self.running\n"
    "m = Block()\n"
    "sd = m.state_dict()\n";

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

// The state dict of `m` with `edit` applied in Python (code using `sd`, a dict copy); the
// loaded result comes back as the names of the modified dict, to build the same dict here.
std::string py(const std::string& code) {
  auto r = oracle::run(std::string(kPyBlock) + code);
  EXPECT_TRUE(r.ok) << r.error;
  return r.ok ? r.strings.at(0) : "";
}

}  // namespace

TEST(ModuleState, StateDictKeysValuesAndSharing) {
  Block m;
  StateDict sd = m->state_dict();
  EXPECT_EQ(join(sd.keys()), py("out = ','.join(sd.keys())"));
  // Values are detached but share memory with the parameters and buffers.
  for (const auto& item : sd) EXPECT_FALSE(item.value().requires_grad()) << item.key();
  EXPECT_EQ(sd["scale"].data_ptr(), m->scale.data_ptr());
  EXPECT_EQ(sd["body.0.weight"].data_ptr(), m->body->at<nn::LinearImpl>(0).weight.data_ptr());
  StateDict vars = m->state_dict("", /*keep_vars=*/true);
  EXPECT_TRUE(vars["scale"].requires_grad());
  EXPECT_TRUE(vars["scale"].is_same(m->scale));
  StateDict prefixed = m->state_dict("model.");
  EXPECT_EQ(prefixed.keys().front(), "model.scale");
  EXPECT_EQ(join(m->named_buffers().keys()), py("out = ','.join(k for k, _ in m.named_buffers())"));
}

TEST(ModuleState, LoadStateDictRoundTrip) {
  Block a, b;
  {
    NoGradGuard g;
    a->running.fill_(2.5);
    a->scale.fill_(0.5);
  }
  Tensor scale_before = b->scale;
  auto result = b->load_state_dict(a->state_dict());
  EXPECT_TRUE(result.missing_keys.empty());
  EXPECT_TRUE(result.unexpected_keys.empty());
  for (const auto& item : a->state_dict()) EXPECT_TRUE(item.value().equal(b->state_dict()[item.key()])) << item.key();
  // Values are copied: the parameters keep their identity and their own memory.
  EXPECT_TRUE(b->scale.is_same(scale_before));
  EXPECT_NE(b->scale.data_ptr(), a->scale.data_ptr());
  EXPECT_TRUE(b->scale.requires_grad());
  EXPECT_TRUE(b->scale.is_leaf());
  a->eval();
  b->eval();
  Tensor x = sample({2, 4});
  EXPECT_TRUE(a(x).equal(b(x)));
  // A float64 checkpoint is converted to the parameters' dtype.
  StateDict dbl;
  for (const auto& item : a->state_dict()) dbl.insert(item.key(), item.value().to(kDouble));
  b->load_state_dict(dbl);
  EXPECT_EQ(b->scale.scalar_type(), kFloat);
  EXPECT_TRUE(b->scale.equal(a->scale));
}

TEST(ModuleState, MissingUnexpectedAndMismatchedKeys) {
  Block m;
  auto edited = [&](bool drop_bias, bool add_extra, bool bad_shape, bool nested_extra) {
    StateDict sd;
    for (const auto& item : m->state_dict()) {
      if (drop_bias && item.key() == "body.2.bias") continue;
      if (bad_shape && item.key() == "body.0.weight") {
        sd.insert(item.key(), zeros({2, 2}));
        continue;
      }
      sd.insert(item.key(), item.value());
    }
    if (add_extra) sd.insert("extra", zeros({1}));
    if (nested_extra) sd.insert("body.2.bias.x", zeros({1}));
    return sd;
  };
  const std::string edit_all =
      "sd = dict(sd)\ndel sd['body.2.bias']\nsd['extra'] = torch.zeros(1)\nsd['body.0.weight'] = torch.zeros(2, 2)\n";
  const std::string edit_keys = "sd = dict(sd)\ndel sd['body.2.bias']\nsd['extra'] = torch.zeros(1)\n";

  EXPECT_EQ(error_message([&] { m->load_state_dict(edited(true, true, true, false)); }),
            py(edit_all + "try:\n    m.load_state_dict(sd)\nexcept RuntimeError as e:\n    out = str(e)"));
  EXPECT_EQ(error_message([&] { m->load_state_dict(edited(true, true, true, false), false); }),
            py(edit_all + "try:\n    m.load_state_dict(sd, strict=False)\nexcept RuntimeError as e:\n    out = str(e)"));
  EXPECT_EQ(error_message([&] { m->load_state_dict(edited(true, true, false, false)); }),
            py(edit_keys + "try:\n    m.load_state_dict(sd)\nexcept RuntimeError as e:\n    out = str(e)"));
  EXPECT_EQ(error_message([&] { m->load_state_dict(edited(false, false, true, false)); }),
            py("sd = dict(sd)\nsd['body.0.weight'] = torch.zeros(2, 2)\n"
               "try:\n    m.load_state_dict(sd)\nexcept RuntimeError as e:\n    out = str(e)"));

  auto result = m->load_state_dict(edited(true, true, false, false), /*strict=*/false);
  EXPECT_EQ(join(result.missing_keys), py(edit_keys + "out = ','.join(m.load_state_dict(sd, strict=False).missing_keys)"));
  EXPECT_EQ(join(result.unexpected_keys),
            py(edit_keys + "out = ','.join(m.load_state_dict(sd, strict=False).unexpected_keys)"));
  // A key below a parameter's name is not "unexpected" in PyTorch.
  auto nested = m->load_state_dict(edited(false, false, false, true), false);
  EXPECT_EQ(join(nested.unexpected_keys),
            py("sd = dict(sd)\nsd['body.2.bias.x'] = torch.zeros(1)\n"
               "out = ','.join(m.load_state_dict(sd, strict=False).unexpected_keys)"));
}

TEST(ModuleState, TrainEvalPropagates) {
  Block m;
  EXPECT_TRUE(m->is_training());
  m->eval();
  for (const auto& sub : m->modules()) EXPECT_FALSE(sub->is_training()) << sub->name();
  Tensor x = sample({8, 4});
  EXPECT_TRUE(m(x).equal(m(x)));  // dropout is off
  m->train();
  for (const auto& sub : m->modules()) EXPECT_TRUE(sub->is_training()) << sub->name();
  manual_seed(0);
  Tensor y1 = m(x);
  manual_seed(1);
  Tensor y2 = m(x);
  EXPECT_FALSE(y1.equal(y2));
  m->body->eval();
  EXPECT_TRUE(m->is_training());
  EXPECT_FALSE(m->body[1]->is_training());
}

TEST(ModuleState, ZeroGrad) {
  Block m;
  m(sample({2, 4})).sum().backward();
  for (const auto& p : m->parameters()) ASSERT_TRUE(p.grad().defined());
  m->zero_grad(/*set_to_none=*/false);
  for (const auto& p : m->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().abs().sum().item<float>(), 0.f);
  }
  m->zero_grad(/*set_to_none=*/true);
  for (const auto& p : m->parameters()) EXPECT_FALSE(p.grad().defined());
  // Gradients accumulate again from scratch after zero_grad.
  Tensor x = sample({2, 4});
  m->eval();
  m(x).sum().backward();
  Tensor g1 = m->scale.grad().clone();
  m->zero_grad();
  m(x).sum().backward();
  EXPECT_TRUE(m->scale.grad().equal(g1));
}

TEST(ModuleState, ToDoubleKeepsParameterIdentity) {
  Block m;
  m(sample({2, 4})).sum().backward();
  Tensor w = m->body->at<nn::LinearImpl>(0).weight;
  std::vector<Tensor> before = m->parameters();
  m->to(kDouble);
  std::vector<Tensor> after = m->parameters();
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(after[i].is_same(before[i]));
    EXPECT_EQ(after[i].scalar_type(), kDouble);
    EXPECT_TRUE(after[i].requires_grad());
    EXPECT_EQ(after[i].grad().scalar_type(), kDouble);
  }
  EXPECT_EQ(m->running.scalar_type(), kDouble);
  EXPECT_EQ(m->body->at<nn::LinearImpl>(0).weight.scalar_type(), kDouble);
  EXPECT_TRUE(w.is_same(m->body->at<nn::LinearImpl>(0).weight));
  m->eval();
  Tensor x = sample({2, 4}, kDouble);
  Tensor y = m(x);
  EXPECT_EQ(y.scalar_type(), kDouble);
  // The same computation as PyTorch's with the same (double) weights.
  oracle::Inputs in = {{"x", x}};
  std::string load = "m.double().eval()\nsd = m.state_dict()\nwith torch.no_grad():\n";
  for (const auto& item : m->state_dict()) {
    std::string name = "p";
    name += std::to_string(in.size());
    in.push_back({name, item.value()});
    load += "    sd['" + item.key() + "'].copy_(" + name + ")\n";
  }
  auto ref = oracle::run(std::string(kPyBlock) + load + "out = m(x)", in);
  ASSERT_TRUE(ref.ok) << ref.error;
  EXPECT_TRUE(nabla::testing::same(y, ref.outputs[0]));
}

// Sequential, ModuleList, ModuleDict, Functional and AnyModule: indexing, slicing, names,
// parameter order, reprs against Python's, deep copies.
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

std::string repr(const nn::Module& m) {
  std::ostringstream os;
  os << m;
  return os.str();
}

// Runs Python code that builds `m` (torch.nn is `nn` there) and returns repr(m).
std::string py_repr(const std::string& build) {
  auto r = oracle::run("nn = torch.nn\n" + build + "\nout = repr(m)");
  EXPECT_TRUE(r.ok) << r.error;
  return r.ok ? r.strings.at(0) : "";
}

// The keys of a Python expression yielding names (e.g. m.state_dict().keys()), joined by ",".
std::string py_keys(const std::string& build, const std::string& keys_expr) {
  auto r = oracle::run("nn = torch.nn\n" + build + "\nout = ','.join(" + keys_expr + ")");
  EXPECT_TRUE(r.ok) << r.error;
  return r.ok ? r.strings.at(0) : "";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + v[i];
  return out;
}

// A PyTorch-style model with two Sequential blocks.
struct NetImpl : nn::Cloneable<NetImpl> {
  NetImpl() { reset(); }
  void reset() override {
    features = register_module("features", nn::Sequential(nn::Linear(4, 8), nn::Identity(), nn::Linear(8, 8)));
    classifier = register_module("classifier", nn::Sequential(nn::Linear(8, 3)));
  }
  Tensor forward(Tensor x) { return classifier(features(x)); }
  nn::Sequential features{nullptr}, classifier{nullptr};
};
NABLA_MODULE(Net);

const char* kPyNet =
    "class Net(nn.Module):\n"
    "    def __init__(self):\n"
    "        super().__init__()\n"
    "        self.features = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 8))\n"
    "        self.classifier = nn.Sequential(nn.Linear(8, 3))\n"
    "m = Net()";

}  // namespace

TEST(Sequential, IndexingNamesAndForward) {
  nn::Linear a(4, 3), c(3, 2);
  nn::Sequential seq(a, nn::Functional(nabla::relu), c);
  ASSERT_EQ(seq->size(), 3u);
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(seq[0].get(), a.ptr().get());
  EXPECT_EQ(seq->ptr(2).get(), c.ptr().get());
  EXPECT_EQ(seq->ptr(-1).get(), c.ptr().get());
  EXPECT_EQ(seq->ptr<nn::LinearImpl>(0).get(), a.ptr().get());
  EXPECT_EQ(&seq->at<nn::LinearImpl>(-3), a.ptr().get());
  EXPECT_EQ(error_message([&] { seq->ptr(3); }),
            oracle::error_of("torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2))[3]"));
  EXPECT_EQ(error_message([&] { seq->ptr(-4); }),
            oracle::error_of("torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(), torch.nn.Linear(2, 2))[-4]"));
  EXPECT_FALSE(error_message([&] { seq->at<nn::DropoutImpl>(0); }).empty());

  Tensor x = sample({5, 4});
  EXPECT_TRUE(seq(x).equal(c(nabla::relu(a(x)))));
  EXPECT_TRUE(seq->forward(x).equal(c(nabla::relu(a(x)))));
  EXPECT_EQ(error_message([] { nn::Sequential()->forward(sample({2})); }),
            "Cannot call forward() on an empty Sequential");
  EXPECT_EQ(error_message([&] { seq->forward<int>(x); }),
            "The type of the return value is nabla::Tensor, but you asked for type int");

  // One layer, from a holder.
  nn::Sequential one(nn::Linear(4, 3));
  EXPECT_EQ(one->size(), 1u);
}

TEST(Sequential, NamedLayersAndRepr) {
  nn::Sequential seq({{"fc1", nn::Linear(4, 3)}, {"drop", nn::Dropout(0.25)}, {"fc2", nn::Linear(3, 2)}});
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"fc1", "drop", "fc2"}));
  const std::string py_named =
      "from collections import OrderedDict\nm = nn.Sequential(OrderedDict([('fc1', nn.Linear(4, 3)), "
      "('drop', nn.Dropout(0.25)), ('fc2', nn.Linear(3, 2))]))";
  EXPECT_EQ(repr(*seq), py_repr(py_named));
  EXPECT_EQ(join(seq->state_dict().keys()), py_keys(py_named, "m.state_dict().keys()"));

  nn::Sequential plain(nn::Linear(4, 3), nn::Dropout(), nn::Flatten());
  EXPECT_EQ(repr(*plain), py_repr("m = nn.Sequential(nn.Linear(4, 3), nn.Dropout(), nn.Flatten())"));
  EXPECT_EQ(repr(*nn::Sequential()), py_repr("m = nn.Sequential()"));

  std::vector<nn::NamedAnyModule> layers;
  layers.emplace_back("a", nn::Linear(2, 2));
  layers.emplace_back("b", nn::Identity());
  auto from_vector = std::make_shared<nn::SequentialImpl>(std::move(layers));
  EXPECT_EQ(from_vector->named_children().keys(), (std::vector<std::string>{"a", "b"}));
}

TEST(Sequential, NestedNamesParameterOrderAndRepr) {
  Net net;
  EXPECT_EQ(join(net->named_parameters().keys()), py_keys(kPyNet, "[k for k, _ in m.named_parameters()]"));
  EXPECT_EQ(join(net->state_dict().keys()), py_keys(kPyNet, "m.state_dict().keys()"));
  EXPECT_EQ(join(net->named_modules().keys()), py_keys(kPyNet, "[k for k, _ in m.named_modules()]"));
  EXPECT_EQ(repr(*net), py_repr(kPyNet));
  EXPECT_EQ(net(sample({2, 4})).sizes(), IntArrayRef({2, 3}));

  // A Sequential inside a Sequential: forward runs through it, names nest.
  nn::Sequential inner(nn::Linear(4, 5), nn::Functional(nabla::tanh));
  nn::Sequential outer(inner, nn::Linear(5, 2));
  const std::string py_nested = "m = nn.Sequential(nn.Sequential(nn.Linear(4, 5), nn.Tanh()), nn.Linear(5, 2))";
  EXPECT_EQ(join(outer->state_dict().keys()), py_keys(py_nested, "m.state_dict().keys()"));
  Tensor x = sample({3, 4});
  EXPECT_TRUE(outer(x).equal(outer[1]->as<nn::LinearImpl>()->forward(inner(x))));
}

TEST(Sequential, SlicingSharesLayersAndKeepsNames) {
  Net net;
  nn::Sequential features = net->features;
  const std::vector<std::tuple<std::optional<int64_t>, std::optional<int64_t>, int64_t, std::string>> cases = {
      {std::nullopt, -1, 1, ":-1"}, {1, std::nullopt, 1, "1:"}, {-2, std::nullopt, 1, "-2:"},
      {std::nullopt, std::nullopt, 2, "::2"}, {std::nullopt, std::nullopt, -1, "::-1"}, {5, 9, 1, "5:9"},
      {-10, 2, 1, "-10:2"}, {2, 0, -1, "2:0:-1"}};
  for (const auto& [start, end, step, py] : cases) {
    auto part = features->slice(start, end, step);
    EXPECT_EQ(join(part->named_children().keys()),
              py_keys(kPyNet, "m.features[" + py + "]._modules.keys()")) << py;
    EXPECT_EQ(join(part->state_dict().keys()), py_keys(kPyNet, "m.features[" + py + "].state_dict().keys()"))
        << py;
    EXPECT_EQ(repr(*part), py_repr(kPyNet + std::string("\nm = m.features[") + py + "]")) << py;
  }
  // The slice holds the same layer objects: same parameters, in-place changes visible.
  auto head = features->slice(std::nullopt, -1);
  EXPECT_EQ(head->ptr(0).get(), features->ptr(0).get());
  EXPECT_TRUE(head->parameters()[0].is_same(features->parameters()[0]));
  {
    NoGradGuard g;
    features->at<nn::LinearImpl>(0).weight.fill_(0.5);
  }
  EXPECT_EQ(head->at<nn::LinearImpl>(0).weight[0][0].item<float>(), 0.5f);
  Tensor x = sample({2, 4});
  EXPECT_TRUE(head->forward(x).equal(features[1]->as<nn::IdentityImpl>()->forward(features->at<nn::LinearImpl>(0).forward(x))));
  EXPECT_EQ(error_message([&] { features->slice(0, 2, 0); }),
            oracle::error_of("torch.nn.Sequential(torch.nn.Linear(2, 2))[0:2:0]"));
}

TEST(Sequential, PushBackExtendInsert) {
  nn::Sequential seq;
  seq->push_back(nn::Linear(2, 3));
  seq->push_back("act", nn::Functional(nabla::relu));
  seq->push_back(std::make_shared<nn::LinearImpl>(3, 1));
  EXPECT_EQ(seq->named_children().keys(), (std::vector<std::string>{"0", "act", "2"}));

  nn::Sequential a(nn::Linear(2, 2), nn::Identity());
  nn::Sequential b(nn::Flatten(), nn::Linear(2, 2));
  a->extend(*b);
  std::vector<nn::Linear> more = {nn::Linear(2, 2)};
  a->extend(more);
  EXPECT_EQ(a->size(), 5u);
  EXPECT_EQ(a->ptr(2).get(), b->ptr(0).get());
  EXPECT_EQ(repr(*a), py_repr("m = nn.Sequential(nn.Linear(2, 2), nn.Identity())\n"
                              "m.extend(nn.Sequential(nn.Flatten(), nn.Linear(2, 2)))\nm.append(nn.Linear(2, 2))"));

  nn::Sequential s(nn::Linear(1, 1), nn::Linear(2, 2), nn::Linear(3, 3));
  nn::Identity mid;
  s->insert(1, mid);
  s->insert(-1, nn::Flatten());
  const std::string py = "m = nn.Sequential(nn.Linear(1, 1), nn.Linear(2, 2), nn.Linear(3, 3))\n"
                         "m.insert(1, nn.Identity())\nm.insert(-1, nn.Flatten())";
  EXPECT_EQ(repr(*s), py_repr(py));
  EXPECT_EQ(join(s->state_dict().keys()), py_keys(py, "m.state_dict().keys()"));
  EXPECT_EQ(s->ptr(1).get(), mid.ptr().get());
  EXPECT_EQ(error_message([&] { s->insert(9, nn::Identity()); }),
            oracle::error_of("torch.nn.Sequential(torch.nn.Linear(1, 1)).insert(9, torch.nn.Identity())"));
}

TEST(Sequential, ReplaceModuleChangesWhatForwardRuns) {
  nn::Sequential seq(nn::Linear(4, 3), nn::ReLU(), nn::Linear(3, 2));
  Tensor x = sample({5, 4});
  EXPECT_EQ(seq->forward(x).sizes(), (std::vector<int64_t>{5, 2}));
  nn::Identity id;
  auto returned = seq->replace_module("2", id);
  EXPECT_EQ(returned.get(), id.ptr().get());
  // Python's seq[2] = nn.Identity(): the names, the state_dict and forward all see the new layer.
  EXPECT_EQ(seq->ptr(2).get(), id.ptr().get());
  EXPECT_EQ(seq->named_children()["2"].get(), id.ptr().get());
  EXPECT_EQ(join(seq->state_dict().keys()), "0.weight,0.bias");
  EXPECT_TRUE(nabla::testing::same(seq->forward(x), seq->at<nn::LinearImpl>(0).forward(x).relu()));
  // Through a model's member holder, as model->classifier->replace_module(...).
  Net net;
  net->classifier->replace_module("0", nn::Linear(8, 5));
  EXPECT_EQ(net->forward(sample({2, 4})).sizes(), (std::vector<int64_t>{2, 5}));
  EXPECT_EQ(error_message([&] { seq->replace_module("7", nn::Identity()); }), "Submodule '7' is not defined");
}

TEST(Sequential, CloneDeepCopies) {
  Net net;
  net->classifier->eval();
  auto copy = std::dynamic_pointer_cast<NetImpl>(net->clone());
  ASSERT_TRUE(copy);
  auto p = net->named_parameters(), q = copy->named_parameters();
  ASSERT_EQ(p.keys(), q.keys());
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_TRUE(p[i].value().equal(q[i].value()));
    EXPECT_NE(p[i].value().data_ptr(), q[i].value().data_ptr());
    EXPECT_TRUE(q[i].value().requires_grad());
  }
  EXPECT_TRUE(copy->is_training());
  EXPECT_FALSE(copy->classifier->is_training());
  EXPECT_FALSE(copy->classifier[0]->is_training());
  EXPECT_TRUE(copy->features[0]->is_training());
  // The copy's own member holders point at the copied layers.
  EXPECT_NE(copy->features.get(), net->features.get());
  EXPECT_EQ(copy->features.get(), copy->named_children()["features"].get());
  {
    NoGradGuard g;
    copy->features->at<nn::LinearImpl>(0).weight.zero_();
  }
  EXPECT_FALSE(net->features->at<nn::LinearImpl>(0).weight.equal(copy->features->at<nn::LinearImpl>(0).weight));
  Tensor x = sample({2, 4});
  auto plain = std::dynamic_pointer_cast<nn::SequentialImpl>(net->features->clone());
  ASSERT_TRUE(plain);
  EXPECT_TRUE(plain->forward(x).equal(net->features(x)));
  EXPECT_EQ(repr(*plain), repr(*net->features));
}

TEST(ModuleList, Basics) {
  nn::ModuleList list(nn::Linear(2, 3), nn::Dropout(0.1), nn::Linear(3, 4));
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ(list->named_children().keys(), (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_NE(list->ptr<nn::LinearImpl>(0), nullptr);
  EXPECT_EQ(list->ptr<nn::LinearImpl>(1), nullptr);
  EXPECT_EQ(list->at<nn::LinearImpl>(-1).options.out_features(), 4);
  EXPECT_FALSE(error_message([&] { list->at<nn::LinearImpl>(1); }).empty());
  EXPECT_EQ(error_message([&] { list[7]; }), oracle::error_of("torch.nn.ModuleList([torch.nn.Linear(2, 2)])[7]"));
  int n = 0;
  for (const auto& m : *list) n += m->as<nn::LinearImpl>() != nullptr;
  EXPECT_EQ(n, 2);
  const std::string py = "m = nn.ModuleList([nn.Linear(2, 3), nn.Dropout(0.1), nn.Linear(3, 4)])";
  EXPECT_EQ(repr(*list), py_repr(py));
  EXPECT_EQ(join(list->state_dict().keys()), py_keys(py, "m.state_dict().keys()"));

  list->insert(1, nn::Identity());
  list->push_back(nn::Flatten());
  list->extend(std::vector<std::shared_ptr<nn::Module>>{std::make_shared<nn::IdentityImpl>()});
  const std::string py2 = py + "\nm.insert(1, nn.Identity())\nm.append(nn.Flatten())\nm.extend([nn.Identity()])";
  EXPECT_EQ(repr(*list), py_repr(py2));
  EXPECT_EQ(join(list->state_dict().keys()), py_keys(py2, "m.state_dict().keys()"));
  EXPECT_EQ(error_message([&] { list->insert(99, nn::Identity()); }), "Index out of range");

  auto part = list->slice(1, std::nullopt, 2);
  EXPECT_EQ(repr(*part), py_repr(py2 + "\nm = m[1::2]"));
  EXPECT_EQ(part->ptr(0).get(), list->ptr(1).get());

  auto copy = std::dynamic_pointer_cast<nn::ModuleListImpl>(list->clone());
  ASSERT_TRUE(copy);
  EXPECT_EQ(repr(*copy), repr(*list));
  EXPECT_NE(copy->ptr(0).get(), list->ptr(0).get());
  EXPECT_TRUE(copy->at<nn::LinearImpl>(0).weight.equal(list->at<nn::LinearImpl>(0).weight));
  EXPECT_EQ(error_message([&] { nn::Sequential(list, nn::Identity())->forward(sample({2})); }),
            oracle::error_of("torch.nn.Sequential(torch.nn.ModuleList([torch.nn.Identity()]))(torch.randn(2))"));
}

TEST(ModuleDict, Basics) {
  nn::ModuleDict dict(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
      {"conv", std::make_shared<nn::LinearImpl>(2, 3)},
      {"drop", std::make_shared<nn::DropoutImpl>(0.2)},
      {"head", std::make_shared<nn::LinearImpl>(3, 1)}});
  const std::string py = "m = nn.ModuleDict({'conv': nn.Linear(2, 3), 'drop': nn.Dropout(0.2), 'head': nn.Linear(3, 1)})";
  EXPECT_EQ(dict->size(), 3u);
  EXPECT_EQ(dict->keys(), (std::vector<std::string>{"conv", "drop", "head"}));
  EXPECT_TRUE(dict->contains("drop"));
  EXPECT_FALSE(dict->contains("nope"));
  EXPECT_EQ(dict->values()[2].get(), dict["head"].get());
  EXPECT_EQ(dict->items()[1].first, "drop");
  EXPECT_EQ(dict->at<nn::LinearImpl>("head").options.in_features(), 3);
  EXPECT_EQ(repr(*dict), py_repr(py));
  EXPECT_EQ(join(dict->state_dict().keys()), py_keys(py, "m.state_dict().keys()"));

  // update: an existing key keeps its place, new keys go to the end.
  auto replacement = std::make_shared<nn::LinearImpl>(2, 5);
  dict->update(std::vector<std::pair<std::string, std::shared_ptr<nn::Module>>>{
      {"conv", replacement}, {"extra", std::make_shared<nn::IdentityImpl>()}});
  const std::string py2 = py + "\nm.update([('conv', nn.Linear(2, 5)), ('extra', nn.Identity())])";
  EXPECT_EQ(repr(*dict), py_repr(py2));
  EXPECT_EQ(dict["conv"].get(), replacement.get());
  EXPECT_EQ(join(dict->state_dict().keys()), py_keys(py2, "m.state_dict().keys()"));

  auto popped = dict->pop("drop");
  EXPECT_NE(popped->as<nn::DropoutImpl>(), nullptr);
  const std::string py3 = py2 + "\nm.pop('drop')";
  EXPECT_EQ(repr(*dict), py_repr(py3));
  EXPECT_EQ(join(dict->named_children().keys()), py_keys(py3, "m._modules.keys()"));
  EXPECT_FALSE(error_message([&] { dict["drop"]; }).empty());

  auto copy = std::dynamic_pointer_cast<nn::ModuleDictImpl>(dict->clone());
  ASSERT_TRUE(copy);
  EXPECT_EQ(copy->keys(), dict->keys());
  EXPECT_NE(copy->at<nn::LinearImpl>("conv").weight.data_ptr(), dict->at<nn::LinearImpl>("conv").weight.data_ptr());

  nn::ModuleDict other;
  other->update(*dict);
  EXPECT_EQ(other->keys(), dict->keys());

  dict->clear();
  EXPECT_TRUE(dict->empty());
  EXPECT_EQ(dict->named_children().size(), 0u);
  EXPECT_EQ(repr(*dict), py_repr(py3 + "\nm.clear()"));
}

TEST(Functional, WrapsFunctions) {
  Tensor x = sample({3, 4});
  nn::Functional relu(nabla::relu);
  EXPECT_TRUE(relu(x).equal(nabla::relu(x)));
  nn::Functional scale([](Tensor t, double a, double b) { return t * a + b; }, 2.0, 1.0);
  EXPECT_TRUE(scale(x).equal(x * 2.0 + 1.0));
  nn::Functional flat([](const Tensor& t, int64_t start) { return t.flatten(start); }, int64_t{0});
  EXPECT_EQ(flat(x).sizes(), IntArrayRef({12}));
  EXPECT_EQ(repr(*relu), "Functional()");
  EXPECT_EQ(relu->parameters().size(), 0u);
  auto copy = std::dynamic_pointer_cast<nn::FunctionalImpl>(scale->clone());
  ASSERT_TRUE(copy);
  EXPECT_TRUE(copy->forward(x).equal(x * 2.0 + 1.0));
}

TEST(AnyModule, TypeErasure) {
  nn::Linear fc(3, 2);
  nn::AnyModule any(fc);
  Tensor x = sample({4, 3});
  EXPECT_TRUE(any.forward(x).equal(fc(x)));
  EXPECT_TRUE(any.any_forward(x).get<Tensor>().equal(fc(x)));
  EXPECT_EQ(&any.get<nn::LinearImpl>(), fc.get());
  EXPECT_EQ(any.get<nn::Linear>().get(), fc.get());
  EXPECT_EQ(any.ptr().get(), fc.get());
  EXPECT_EQ(any.type_info(), typeid(nn::LinearImpl));
  EXPECT_EQ(error_message([&] { any.get<nn::DropoutImpl>(); }),
            "Attempted to cast module of type nabla::nn::LinearImpl to type nabla::nn::DropoutImpl");
  EXPECT_EQ(error_message([&] { any.forward(x, x); }),
            "nabla::nn::LinearImpl's forward() method expects 1 argument(s), but received 2.");
  EXPECT_EQ(error_message([&] { any.forward(1.5); }),
            "Attempted to cast AnyValue to nabla::Tensor, but its actual type is double");
  EXPECT_EQ(error_message([] { nn::AnyModule().forward(sample({1})); }),
            "Cannot call forward() on an empty AnyModule");

  nn::AnyModule two(nn::Bilinear(3, 2, 5));
  EXPECT_EQ(two.forward(x, sample({4, 2})).sizes(), IntArrayRef({4, 5}));
  nn::AnyModule copy = any.clone();
  EXPECT_NE(copy.ptr().get(), any.ptr().get());
  EXPECT_TRUE(copy.forward(x).equal(fc(x)));
  nn::AnyModule shared = any;
  EXPECT_EQ(shared.ptr().get(), any.ptr().get());
  nn::AnyModule by_value(nn::LinearImpl(2, 2));
  EXPECT_EQ(by_value.forward(sample({1, 2})).sizes(), IntArrayRef({1, 2}));
}

#pragma once
/// IValue: what `torch.load` returns, as libtorch's c10::IValue — None, bool, int, double,
/// string, Tensor, list, tuple or dict (insertion-ordered, str or int keys).
///   auto ckpt = nabla::torch_load("checkpoint.pt").toGenericDict();
///   int64_t epoch = ckpt.at("epoch").toInt();
///   for (const auto& entry : ckpt) std::cout << entry.key() << ": " << entry.value() << "\n";
/// Lists and dicts are shared handles, as in libtorch: copies refer to the same elements.
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "nabla/ordered_dict.h"
#include "nabla/tensor.h"

namespace nabla {

class IValue;
namespace ivalue {
struct Tuple;
}

/// libtorch's c10::List<IValue>: a list shared by its copies.
class GenericList {
 public:
  GenericList();
  explicit GenericList(std::vector<IValue> values);
  size_t size() const;
  bool empty() const { return size() == 0; }
  const IValue& get(size_t index) const;
  const IValue& operator[](size_t index) const { return get(index); }
  IValue& operator[](size_t index);
  void push_back(IValue value);
  void clear();
  std::vector<IValue>::const_iterator begin() const;
  std::vector<IValue>::const_iterator end() const;
  /// The elements (libtorch's toListRef()).
  const std::vector<IValue>& vec() const { return *impl_; }
  /// Whether both handles refer to the same list.
  bool is(const GenericList& other) const { return impl_ == other.impl_; }
  /// What all copies of this list share (for walking a graph of values).
  const void* identity() const { return impl_.get(); }

 private:
  std::shared_ptr<std::vector<IValue>> impl_;
};

/// One entry of a GenericDict, as c10::Dict's iterator gives it.
class DictEntry {
 public:
  DictEntry(IValue key, IValue value);
  const IValue& key() const { return *key_; }
  const IValue& value() const { return *value_; }
  IValue& value() { return *value_; }

 private:
  std::shared_ptr<IValue> key_, value_;
};

/// libtorch's c10::Dict<IValue, IValue> (toGenericDict()): insertion-ordered, keys str or int,
/// shared by its copies.
class GenericDict {
 public:
  GenericDict();
  size_t size() const;
  bool empty() const { return size() == 0; }
  /// The value under `key`; "Argument passed to at() was not in the map." if absent.
  const IValue& at(const IValue& key) const;
  bool contains(const IValue& key) const;
  /// Sets `key` to `value`; a new key goes last, an existing one keeps its place.
  void insert_or_assign(IValue key, IValue value);
  /// Adds `key` if absent (returns false and changes nothing otherwise), as c10::Dict::insert.
  bool insert(IValue key, IValue value);
  void clear();
  std::vector<DictEntry>::const_iterator begin() const;
  std::vector<DictEntry>::const_iterator end() const;
  /// Whether it came from, or is written as, Python's collections.OrderedDict (a state_dict).
  bool is_ordered_dict() const;
  void set_ordered_dict(bool ordered);
  bool is(const GenericDict& other) const { return impl_ == other.impl_; }
  const void* identity() const { return impl_.get(); }

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

class IValue {
 public:
  enum class Tag { None, Bool, Int, Double, String, Tensor, List, Tuple, GenericDict };

  IValue() = default;
  IValue(bool v) : value_(v) {}
  template <typename T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  IValue(T v) : value_(static_cast<int64_t>(v)) {}
  IValue(double v) : value_(v) {}
  IValue(std::string v) : value_(std::move(v)) {}
  IValue(const char* v) : value_(std::string(v)) {}
  IValue(Tensor v) : value_(std::move(v)) {}
  IValue(GenericList v) : value_(std::move(v)) {}
  IValue(std::shared_ptr<ivalue::Tuple> v);
  IValue(GenericDict v) : value_(std::move(v)) {}
  /// A list of tensors.
  IValue(const std::vector<Tensor>& tensors);
  /// A state_dict: an OrderedDict of str -> Tensor (module->state_dict()).
  IValue(const OrderedDict<std::string, Tensor>& dict);

  Tag tag() const { return static_cast<Tag>(value_.index()); }
  /// The kind's name as libtorch prints it: "None", "Bool", "Int", "Double", "String",
  /// "Tensor", "GenericList", "Tuple", "GenericDict".
  std::string tagKind() const;

  bool isNone() const { return tag() == Tag::None; }
  bool isBool() const { return tag() == Tag::Bool; }
  bool isInt() const { return tag() == Tag::Int; }
  bool isDouble() const { return tag() == Tag::Double; }
  bool isString() const { return tag() == Tag::String; }
  bool isTensor() const { return tag() == Tag::Tensor; }
  bool isList() const { return tag() == Tag::List; }
  bool isTuple() const { return tag() == Tag::Tuple; }
  bool isGenericDict() const { return tag() == Tag::GenericDict; }

  /// Each throws "Expected <Kind> but got <kind>" for another kind.
  bool toBool() const;
  int64_t toInt() const;
  double toDouble() const;
  const std::string& toStringRef() const;
  const Tensor& toTensor() const;
  GenericList toList() const;
  const std::vector<IValue>& toListRef() const;
  std::shared_ptr<ivalue::Tuple> toTuple() const;
  const ivalue::Tuple& toTupleRef() const;
  GenericDict toGenericDict() const;

 private:
  [[noreturn]] void wrong_kind(const char* expected) const;
  std::variant<std::monostate, bool, int64_t, double, std::string, Tensor, GenericList,
               std::shared_ptr<ivalue::Tuple>, GenericDict>
      value_;
};

namespace ivalue {
/// libtorch's ivalue::Tuple: `ivalue::Tuple::create({a, b})`, `t->elements()`.
struct Tuple {
  explicit Tuple(std::vector<IValue> elements) : elements_(std::move(elements)) {}
  static std::shared_ptr<Tuple> create(std::vector<IValue> elements) {
    return std::make_shared<Tuple>(std::move(elements));
  }
  const std::vector<IValue>& elements() const { return elements_; }
  size_t size() const { return elements_.size(); }
  std::vector<IValue> elements_;
};
}  // namespace ivalue

/// Python's repr of the value: None, True, 3, 0.001, 'text', [..], (..), {k: v}, tensor(...).
std::ostream& operator<<(std::ostream& out, const IValue& value);

}  // namespace nabla

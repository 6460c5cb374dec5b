// IValue and its containers (include/nabla/ivalue.h).
#include "nabla/ivalue.h"

#include <charconv>
#include <cmath>
#include <ostream>

#include "nabla/error.h"

namespace nabla {

// ---- GenericList ---------------------------------------------------------------------------

GenericList::GenericList() : impl_(std::make_shared<std::vector<IValue>>()) {}
GenericList::GenericList(std::vector<IValue> values)
    : impl_(std::make_shared<std::vector<IValue>>(std::move(values))) {}
size_t GenericList::size() const { return impl_->size(); }
const IValue& GenericList::get(size_t index) const {
  NABLA_CHECK(index < impl_->size(), "list index ", index, " out of range for a list of ", impl_->size(),
              " elements");
  return (*impl_)[index];
}
IValue& GenericList::operator[](size_t index) {
  NABLA_CHECK(index < impl_->size(), "list index ", index, " out of range for a list of ", impl_->size(),
              " elements");
  return (*impl_)[index];
}
void GenericList::push_back(IValue value) { impl_->push_back(std::move(value)); }
void GenericList::clear() { impl_->clear(); }
std::vector<IValue>::const_iterator GenericList::begin() const { return impl_->begin(); }
std::vector<IValue>::const_iterator GenericList::end() const { return impl_->end(); }

// ---- GenericDict ---------------------------------------------------------------------------

DictEntry::DictEntry(IValue key, IValue value)
    : key_(std::make_shared<IValue>(std::move(key))), value_(std::make_shared<IValue>(std::move(value))) {}

struct GenericDict::Impl {
  std::vector<DictEntry> entries;
  std::unordered_map<std::string, size_t> by_string;
  std::unordered_map<int64_t, size_t> by_int;
  bool ordered = false;

  // Where `key` is, or entries.size(); keys other than str and int are refused.
  size_t index_of(const IValue& key) const {
    if (key.isString()) {
      auto it = by_string.find(key.toStringRef());
      return it == by_string.end() ? entries.size() : it->second;
    }
    NABLA_CHECK(key.isInt(), "dict keys must be str or int, but got ", key.tagKind());
    auto it = by_int.find(key.toInt());
    return it == by_int.end() ? entries.size() : it->second;
  }
  void add(IValue key, IValue value) {
    const size_t at = entries.size();
    if (key.isString()) {
      by_string.emplace(key.toStringRef(), at);
    } else {
      by_int.emplace(key.toInt(), at);
    }
    entries.emplace_back(std::move(key), std::move(value));
  }
};

GenericDict::GenericDict() : impl_(std::make_shared<Impl>()) {}
size_t GenericDict::size() const { return impl_->entries.size(); }
const IValue& GenericDict::at(const IValue& key) const {
  const size_t i = impl_->index_of(key);
  NABLA_CHECK(i < impl_->entries.size(), "Argument passed to at() was not in the map.");
  return impl_->entries[i].value();
}
bool GenericDict::contains(const IValue& key) const { return impl_->index_of(key) < impl_->entries.size(); }
void GenericDict::insert_or_assign(IValue key, IValue value) {
  const size_t i = impl_->index_of(key);
  if (i < impl_->entries.size()) {
    impl_->entries[i].value() = std::move(value);
  } else {
    impl_->add(std::move(key), std::move(value));
  }
}
bool GenericDict::insert(IValue key, IValue value) {
  if (impl_->index_of(key) < impl_->entries.size()) return false;
  impl_->add(std::move(key), std::move(value));
  return true;
}
void GenericDict::clear() {
  impl_->entries.clear();
  impl_->by_string.clear();
  impl_->by_int.clear();
}
std::vector<DictEntry>::const_iterator GenericDict::begin() const { return impl_->entries.begin(); }
std::vector<DictEntry>::const_iterator GenericDict::end() const { return impl_->entries.end(); }
bool GenericDict::is_ordered_dict() const { return impl_->ordered; }
void GenericDict::set_ordered_dict(bool ordered) { impl_->ordered = ordered; }

// ---- IValue --------------------------------------------------------------------------------

IValue::IValue(std::shared_ptr<ivalue::Tuple> v) : value_(std::move(v)) {
  NABLA_CHECK(std::get<std::shared_ptr<ivalue::Tuple>>(value_) != nullptr, "IValue: a null tuple");
}

IValue::IValue(const std::vector<Tensor>& tensors) {
  GenericList list;
  for (const Tensor& t : tensors) list.push_back(t);
  value_ = std::move(list);
}

IValue::IValue(const OrderedDict<std::string, Tensor>& dict) {
  GenericDict out;
  out.set_ordered_dict(true);
  for (const auto& item : dict) out.insert_or_assign(item.key(), item.value());
  value_ = std::move(out);
}

std::string IValue::tagKind() const {
  static constexpr const char* kNames[] = {"None",   "Bool",        "Int",   "Double",     "String",
                                           "Tensor", "GenericList", "Tuple", "GenericDict"};
  return kNames[value_.index()];
}

void IValue::wrong_kind(const char* expected) const {
  throw Error(detail::str("Expected ", expected, " but got ", tagKind()));
}

bool IValue::toBool() const {
  if (!isBool()) wrong_kind("Bool");
  return std::get<bool>(value_);
}
int64_t IValue::toInt() const {
  if (!isInt()) wrong_kind("Int");
  return std::get<int64_t>(value_);
}
double IValue::toDouble() const {
  if (!isDouble()) wrong_kind("Double");
  return std::get<double>(value_);
}
const std::string& IValue::toStringRef() const {
  if (!isString()) wrong_kind("String");
  return std::get<std::string>(value_);
}
const Tensor& IValue::toTensor() const {
  if (!isTensor()) wrong_kind("Tensor");
  return std::get<Tensor>(value_);
}
GenericList IValue::toList() const {
  if (!isList()) wrong_kind("GenericList");
  return std::get<GenericList>(value_);
}
const std::vector<IValue>& IValue::toListRef() const {
  if (!isList()) wrong_kind("GenericList");
  return std::get<GenericList>(value_).vec();
}
std::shared_ptr<ivalue::Tuple> IValue::toTuple() const {
  if (!isTuple()) wrong_kind("Tuple");
  return std::get<std::shared_ptr<ivalue::Tuple>>(value_);
}
const ivalue::Tuple& IValue::toTupleRef() const {
  if (!isTuple()) wrong_kind("Tuple");
  return *std::get<std::shared_ptr<ivalue::Tuple>>(value_);
}
GenericDict IValue::toGenericDict() const {
  if (!isGenericDict()) wrong_kind("GenericDict");
  return std::get<GenericDict>(value_);
}

namespace {

void print_string(std::ostream& out, const std::string& s) {
  // Python's repr: single quotes unless the text has one and no double quote.
  const bool double_quotes = s.find('\'') != std::string::npos && s.find('"') == std::string::npos;
  const char q = double_quotes ? '"' : '\'';
  out << q;
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == q || c == '\\') {
      out << '\\' << c;
    } else if (c == '\n') {
      out << "\\n";
    } else if (c == '\t') {
      out << "\\t";
    } else if (c == '\r') {
      out << "\\r";
    } else if (u < 0x20 || u == 0x7f) {
      out << "\\x" << kHex[u >> 4] << kHex[u & 15];
    } else {
      out << c;
    }
  }
  out << q;
}

void print_double(std::ostream& out, double v) {
  if (std::isnan(v)) {
    out << "nan";
    return;
  }
  if (std::isinf(v)) {
    out << (v > 0 ? "inf" : "-inf");
    return;
  }
  // Python's repr: the shortest text that reads back as the same double, with ".0" when it
  // would look like an integer; exponents from 1e16 and below 1e-4.
  char buf[64];
  const double a = std::fabs(v);
  const bool sci = a != 0 && (a >= 1e16 || a < 1e-4);
  auto r = std::to_chars(buf, buf + sizeof buf, v, sci ? std::chars_format::scientific : std::chars_format::fixed);
  std::string text(buf, r.ptr);
  if (sci) {
    // to_chars writes "1e-05"; Python writes "1e-05" too, and "1e+16".
    out << text;
    return;
  }
  if (text.find('.') == std::string::npos) text += ".0";
  out << text;
}

}  // namespace

std::ostream& operator<<(std::ostream& out, const IValue& v) {
  switch (v.tag()) {
    case IValue::Tag::None: return out << "None";
    case IValue::Tag::Bool: return out << (v.toBool() ? "True" : "False");
    case IValue::Tag::Int: return out << v.toInt();
    case IValue::Tag::Double: print_double(out, v.toDouble()); return out;
    case IValue::Tag::String: print_string(out, v.toStringRef()); return out;
    case IValue::Tag::Tensor: return out << v.toTensor();
    case IValue::Tag::List: {
      out << '[';
      bool first = true;
      for (const IValue& e : v.toListRef()) {
        out << (first ? "" : ", ") << e;
        first = false;
      }
      return out << ']';
    }
    case IValue::Tag::Tuple: {
      const auto& elements = v.toTupleRef().elements();
      out << '(';
      for (size_t i = 0; i < elements.size(); ++i) out << (i ? ", " : "") << elements[i];
      return out << (elements.size() == 1 ? ",)" : ")");
    }
    case IValue::Tag::GenericDict: {
      const GenericDict d = v.toGenericDict();
      out << (d.is_ordered_dict() ? "OrderedDict([" : "{");
      bool first = true;
      for (const DictEntry& e : d) {
        out << (first ? "" : ", ");
        if (d.is_ordered_dict()) {
          out << '(' << e.key() << ", " << e.value() << ')';
        } else {
          out << e.key() << ": " << e.value();
        }
        first = false;
      }
      return out << (d.is_ordered_dict() ? "])" : "}");
    }
  }
  return out;
}

}  // namespace nabla

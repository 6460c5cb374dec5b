#pragma once
/// OrderedDict<Key, Value>: a dictionary that keeps insertion order, as libtorch's
/// torch::OrderedDict (named_parameters(), state_dict(), named_children() return one).
///   for (const auto& item : module->named_parameters()) std::cout << item.key();
#include <cstddef>
#include <initializer_list>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nabla/error.h"

namespace nabla {

template <typename Key, typename Value>
class OrderedDict {
 public:
  /// One (key, value) entry.
  class Item {
   public:
    Item(Key key, Value value) : pair_(std::move(key), std::move(value)) {}
    const Key& key() const noexcept { return pair_.first; }
    Value& value() noexcept { return pair_.second; }
    const Value& value() const noexcept { return pair_.second; }
    Value& operator*() noexcept { return pair_.second; }
    const Value& operator*() const noexcept { return pair_.second; }
    Value* operator->() noexcept { return &pair_.second; }
    const Value* operator->() const noexcept { return &pair_.second; }
    const std::pair<Key, Value>& pair() const noexcept { return pair_; }

   private:
    std::pair<Key, Value> pair_;
  };

  using Iterator = typename std::vector<Item>::iterator;
  using ConstIterator = typename std::vector<Item>::const_iterator;

  /// key_description names keys in error messages ("Parameter", "Module", ...).
  explicit OrderedDict(std::string key_description = "Key")
      : key_description_(std::move(key_description)) {}
  OrderedDict(std::initializer_list<Item> items) {
    for (const auto& item : items) insert(item.key(), item.value());
  }

  const std::string& key_description() const noexcept { return key_description_; }

  Item& front() { check_nonempty(); return items_.front(); }
  const Item& front() const { check_nonempty(); return items_.front(); }
  Item& back() { check_nonempty(); return items_.back(); }
  const Item& back() const { check_nonempty(); return items_.back(); }

  /// The index-th item in insertion order.
  Item& operator[](size_t index) {
    NABLA_CHECK(index < items_.size(), "Index ", index, " is out of bounds");
    return items_[index];
  }
  const Item& operator[](size_t index) const {
    NABLA_CHECK(index < items_.size(), "Index ", index, " is out of bounds");
    return items_[index];
  }
  /// The value under key; throws when absent.
  Value& operator[](const Key& key) {
    Value* v = find(key);
    NABLA_CHECK(v, key_description_, " '", key, "' is not defined");
    return *v;
  }
  const Value& operator[](const Key& key) const {
    const Value* v = find(key);
    NABLA_CHECK(v, key_description_, " '", key, "' is not defined");
    return *v;
  }

  /// Pointer to the value under key, or nullptr.
  Value* find(const Key& key) noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  const Value* find(const Key& key) const noexcept {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &items_[it->second].value();
  }
  bool contains(const Key& key) const noexcept { return index_.count(key) != 0; }

  Iterator begin() { return items_.begin(); }
  ConstIterator begin() const { return items_.begin(); }
  Iterator end() { return items_.end(); }
  ConstIterator end() const { return items_.end(); }
  size_t size() const noexcept { return items_.size(); }
  bool is_empty() const noexcept { return items_.empty(); }

  /// Adds a new entry; a key that exists already is an error.
  template <typename K, typename... Args>
  Value& insert(K&& key, Args&&... args) {
    Key k(std::forward<K>(key));
    NABLA_CHECK(index_.count(k) == 0, key_description_, " '", k, "' already defined");
    index_.emplace(k, items_.size());
    items_.emplace_back(std::move(k), Value(std::forward<Args>(args)...));
    return items_.back().value();
  }
  /// Inserts every item of other, replacing the values of keys that exist.
  void update(const OrderedDict& other) {
    for (const auto& item : other) {
      if (Value* v = find(item.key())) *v = item.value();
      else insert(item.key(), item.value());
    }
  }
  /// Removes the entry under key (throws when absent).
  void erase(const Key& key) {
    auto it = index_.find(key);
    NABLA_CHECK(it != index_.end(), key_description_, " '", key, "' is not defined");
    items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(it->second));
    index_.clear();
    for (size_t i = 0; i < items_.size(); ++i) index_.emplace(items_[i].key(), i);
  }
  void clear() {
    items_.clear();
    index_.clear();
  }

  const std::vector<Item>& items() const noexcept { return items_; }
  std::vector<Key> keys() const {
    std::vector<Key> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.key());
    return out;
  }
  std::vector<Value> values() const {
    std::vector<Value> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.value());
    return out;
  }
  std::vector<std::pair<Key, Value>> pairs() const {
    std::vector<std::pair<Key, Value>> out;
    out.reserve(items_.size());
    for (const auto& item : items_) out.push_back(item.pair());
    return out;
  }

 private:
  void check_nonempty() const {
    NABLA_CHECK(!items_.empty(), "Called front() or back() on an empty OrderedDict");
  }
  std::string key_description_ = "Key";
  std::vector<Item> items_;
  std::unordered_map<Key, size_t> index_;
};

}  // namespace nabla

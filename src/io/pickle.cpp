// The unpickler and pickler of torch.save's files (see pickle.h).
//
// Note [What the unpickler constructs]
// Python's pickle is a small stack machine whose GLOBAL and REDUCE opcodes can call anything;
// torch.load(weights_only=True) allows only a list of globals. nabla constructs only these:
//   collections.OrderedDict                 REDUCE with () (then SETITEMS) -> a dict
//   torch._utils._rebuild_tensor_v2         (storage, offset, size, stride, requires_grad, hooks[, meta])
//   torch._utils._rebuild_tensor            (storage, offset, size, stride)
//   torch._utils._rebuild_parameter         (tensor, requires_grad, hooks)
//   torch._utils._rebuild_parameter_with_state, torch._tensor._rebuild_from_type_v2 (of Tensor or
//   Parameter, without state), torch.nn.parameter.Parameter (NEWOBJ), torch.Size -> a tuple
//   torch.<T>Storage                        only inside the persistent id of a storage
// and the plain values (None, bool, int, float, str, list, tuple, dict with str or int keys).
// Every other GLOBAL is an error naming it, before anything is built from it. Lists and dicts
// are shared handles and pickle can make them refer to each other: every container made here
// is remembered, the result is checked to be free of cycles and at most kMaxPickleDepth deep,
// and on any failure all of them are emptied, so that nothing leaks and no destructor recurses
// deeply.
#include "io/pickle.h"

#include <bit>
#include <cstring>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "core/internal.h"
#include "io/bytes.h"
#include "nabla/error.h"
#include "nabla/tensor_impl.h"

namespace nabla::io {

namespace {

struct StorageKindInfo {
  const char* name;
  StorageKind kind;
  size_t size;
};
constexpr StorageKindInfo kStorageKinds[] = {
    {"FloatStorage", StorageKind::Float, 4}, {"DoubleStorage", StorageKind::Double, 8},
    {"HalfStorage", StorageKind::Half, 2},   {"BFloat16Storage", StorageKind::BFloat16, 2},
    {"LongStorage", StorageKind::Long, 8},   {"IntStorage", StorageKind::Int, 4},
    {"ShortStorage", StorageKind::Short, 2}, {"CharStorage", StorageKind::Char, 1},
    {"ByteStorage", StorageKind::Byte, 1},   {"BoolStorage", StorageKind::Bool, 1},
};

const char* storage_name(ScalarType t) {
  switch (t) {
    case kFloat: return "FloatStorage";
    case kDouble: return "DoubleStorage";
    case kLong: return "LongStorage";
    case kInt: return "IntStorage";
    case kByte: return "ByteStorage";
    case kBool: return "BoolStorage";
    case kHalf: return "HalfStorage";
    case kShort: return "ShortStorage";
    case kChar: return "CharStorage";
  }
  return "FloatStorage";
}

bool valid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// One entry of the unpickler's stack: a value, or what only the allowed calls may consume.
struct Item {
  enum Kind : uint8_t { kValue, kGlobal, kStorage, kRawTuple };
  Kind kind = kValue;
  IValue value;
  std::string global;                          // kGlobal: "module.name"
  std::shared_ptr<LoadedStorage> storage;      // kStorage
  std::shared_ptr<std::vector<Item>> items;    // kRawTuple: a tuple holding non-values
};

const std::unordered_set<std::string>& allowed_globals() {
  static const std::unordered_set<std::string> names = [] {
    std::unordered_set<std::string> s = {
        "collections.OrderedDict",      "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state",
        "torch._tensor._rebuild_from_type_v2", "torch.Size", "torch.Tensor", "torch.nn.parameter.Parameter"};
    for (const auto& k : kStorageKinds) s.insert(std::string("torch.") + k.name);
    return s;
  }();
  return names;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, std::string_view kind, const std::string& path, uint64_t base,
            const PersistentLoad& load)
      : r_(data, size, kind, path, base), load_(load) {}
  ~Unpickler() {
    if (keep_) return;
    // Break whatever the containers made here hold (Note [What the unpickler constructs]).
    for (GenericList& l : lists_) l.clear();
    for (GenericDict& d : dicts_) d.clear();
    for (auto& t : tuples_) t->elements_.clear();
  }

  IValue run(size_t* consumed) {
    while (true) {
      op_at_ = r_.pos();
      const uint8_t op = r_.u8("an opcode");
      if (op == '.') break;
      step(op);
    }
    Item result = pop();
    IValue value = as_value(std::move(result), "the result");
    check_graph(value);
    if (consumed) *consumed = r_.pos();
    keep_ = true;
    return value;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const { r_.fail(op_at_, what); }

  size_t frame_base() const { return marks_.empty() ? 0 : marks_.back(); }
  Item pop() {
    if (stack_.size() <= frame_base()) fail("expected a value on the stack (unpickling stack underflow)");
    Item it = std::move(stack_.back());
    stack_.pop_back();
    return it;
  }
  Item& top() {
    if (stack_.size() <= frame_base()) fail("expected a value on the stack (unpickling stack underflow)");
    return stack_.back();
  }
  std::vector<Item> pop_mark() {
    if (marks_.empty()) fail("expected a MARK before this opcode");
    const size_t at = marks_.back();
    marks_.pop_back();
    std::vector<Item> items(std::make_move_iterator(stack_.begin() + static_cast<std::ptrdiff_t>(at)),
                            std::make_move_iterator(stack_.end()));
    stack_.resize(at);
    return items;
  }
  void push(IValue v) {
    Item it;
    it.value = std::move(v);
    stack_.push_back(std::move(it));
  }

  IValue as_value(Item&& it, const char* where) const {
    switch (it.kind) {
      case Item::kValue: return std::move(it.value);
      case Item::kGlobal:
        fail(detail::str("the global '", it.global, "' cannot be used as a value (in ", where, ")"));
      case Item::kStorage:
        fail(detail::str("a storage outside a tensor is not supported (in ", where, ")"));
      case Item::kRawTuple:
        fail(detail::str("a tuple holding globals or storages cannot be used as a value (in ", where, ")"));
    }
    fail("unknown stack entry");
  }

  GenericList new_list() {
    lists_.emplace_back();
    return lists_.back();
  }
  GenericDict new_dict(bool ordered) {
    GenericDict d;
    d.set_ordered_dict(ordered);
    dicts_.push_back(d);
    return d;
  }
  Item make_tuple(std::vector<Item> items) {
    bool plain = true;
    for (const Item& it : items) plain = plain && it.kind == Item::kValue;
    Item out;
    if (plain) {
      std::vector<IValue> values;
      values.reserve(items.size());
      for (Item& it : items) values.push_back(std::move(it.value));
      tuples_.push_back(ivalue::Tuple::create(std::move(values)));
      out.value = IValue(tuples_.back());
    } else {
      out.kind = Item::kRawTuple;
      out.items = std::make_shared<std::vector<Item>>(std::move(items));
    }
    return out;
  }
  // The elements of a tuple item (plain or raw), as items.
  std::vector<Item> tuple_items(const Item& it, const char* what) const {
    if (it.kind == Item::kRawTuple) return *it.items;
    if (it.kind == Item::kValue && it.value.isTuple()) {
      std::vector<Item> out;
      for (const IValue& v : it.value.toTupleRef().elements()) {
        Item e;
        e.value = v;
        out.push_back(std::move(e));
      }
      return out;
    }
    fail(detail::str("expected a tuple for ", what));
  }

  void set_item(Item& target, Item key, Item value) {
    if (target.kind != Item::kValue || !target.value.isGenericDict()) fail("expected a dict to set items in");
    IValue k = as_value(std::move(key), "a dict key");
    if (!k.isString() && !k.isInt()) fail("expected dict keys to be str or int, but got " + k.tagKind());
    target.value.toGenericDict().insert_or_assign(std::move(k), as_value(std::move(value), "a dict value"));
  }
  void append(Item& target, Item value) {
    if (target.kind != Item::kValue || !target.value.isList()) fail("expected a list to append to");
    target.value.toList().push_back(as_value(std::move(value), "a list"));
  }

  std::string read_line(const char* what) {
    std::string s;
    while (true) {
      const char c = static_cast<char>(r_.u8(what));
      if (c == '\n') return s;
      if (s.size() >= 256) fail(detail::str("expected ", what, " of at most 256 characters"));
      s += c;
    }
  }
  std::string read_text(size_t n, const char* what, bool utf8) {
    const auto* p = reinterpret_cast<const char*>(r_.bytes(n, what));
    std::string s(p, n);
    if (utf8 && !valid_utf8(s)) fail(detail::str("expected UTF-8 text for ", what));
    return s;
  }
  void memo_put(uint64_t key) { memo_[key] = top(); }
  void memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail(detail::str("memo key ", key, " was never stored"));
    stack_.push_back(it->second);
  }
  void global(std::string module, std::string name) {
    std::string full = module + "." + name;
    if (!allowed_globals().count(full)) {
      std::string hint = " (nabla constructs only what torch.load(weights_only=True) allows)";
      if (module.rfind("__torch__", 0) == 0)
        hint = " (a TorchScript archive: save the model's state_dict() with torch.save instead)";
      fail("unsupported global '" + excerpt(full) + "'" + hint);
    }
    Item it;
    it.kind = Item::kGlobal;
    it.global = std::move(full);
    stack_.push_back(std::move(it));
  }

  int64_t item_int(const Item& it, const char* what) const {
    if (it.kind != Item::kValue || !it.value.isInt()) fail(detail::str("expected an int for ", what));
    return it.value.toInt();
  }
  std::string item_string(const Item& it, const char* what) const {
    if (it.kind != Item::kValue || !it.value.isString()) fail(detail::str("expected a str for ", what));
    return it.value.toStringRef();
  }
  DimVector item_ints(const Item& it, const char* what) const {
    if (it.kind != Item::kValue || !it.value.isTuple()) fail(detail::str("expected a tuple of ints for ", what));
    const auto& e = it.value.toTupleRef().elements();
    if (e.size() > kMaxTensorDims) fail(detail::str("expected at most ", kMaxTensorDims, " dimensions for ", what));
    DimVector out;
    for (const IValue& v : e) {
      if (!v.isInt()) fail(detail::str("expected a tuple of ints for ", what));
      out.push_back(v.toInt());
    }
    return out;
  }

  void persistent_id(Item pid) {
    const std::vector<Item> f = tuple_items(pid, "a persistent id");
    if (f.empty() || item_string(f[0], "the persistent id's type") != "storage")
      fail("only persistent ids of storages ('storage', ...) are supported");
    if (f.size() != 5 && f.size() != 6)
      fail(detail::str("expected a storage persistent id of 5 or 6 fields, got ", f.size()));
    StorageId id{};
    if (f[1].kind != Item::kGlobal || f[1].global.rfind("torch.", 0) != 0 ||
        !storage_kind_from_name(std::string_view(f[1].global).substr(6), id.kind))
      fail("expected a typed storage (torch.FloatStorage, ...) in the storage's persistent id");
    id.key = item_string(f[2], "the storage key");
    id.location = item_string(f[3], "the storage location");
    id.numel = item_int(f[4], "the storage size");
    if (id.numel < 0) fail(detail::str("expected a storage size of at least 0, got ", id.numel));
    if (f.size() == 6 && !(f[5].kind == Item::kValue && f[5].value.isNone())) {
      const std::vector<Item> view = tuple_items(f[5], "the storage view");
      if (view.size() != 3) fail("expected a storage view (key, offset, size)");
      id.has_view = true;
      id.view_key = item_string(view[0], "the view key");
      id.view_offset = item_int(view[1], "the view offset");
      id.view_size = item_int(view[2], "the view size");
    }
    Item out;
    out.kind = Item::kStorage;
    out.storage = std::make_shared<LoadedStorage>(load_(id));
    stack_.push_back(std::move(out));
  }

  Tensor rebuild_tensor(const std::vector<Item>& a, size_t min_args, size_t max_args) {
    if (a.size() < min_args || a.size() > max_args)
      fail(detail::str("expected ", min_args, min_args == max_args ? "" : detail::str(" to ", max_args),
                       " arguments to rebuild a tensor, got ", a.size()));
    if (a[0].kind != Item::kStorage) fail("expected a storage as the first argument to rebuild a tensor");
    const LoadedStorage& s = *a[0].storage;
    const int64_t offset = item_int(a[1], "the storage offset");
    const DimVector sizes = item_ints(a[2], "the tensor's size");
    const DimVector strides = item_ints(a[3], "the tensor's stride");
    if (sizes.size() != strides.size())
      fail(detail::str("expected as many strides as sizes, got ", strides.size(), " and ", sizes.size()));
    if (offset < 0) fail(detail::str("expected a storage offset of at least 0, got ", offset));
    // The elements reached must lie inside the storage: offset + sum((size-1) * stride) < numel.
    int64_t numel = 1, last = offset;
    bool empty = false;
    for (size_t d = 0; d < sizes.size(); ++d) {
      if (sizes[d] < 0) fail(detail::str("expected sizes of at least 0, got ", core::shape_str(sizes)));
      if (strides[d] < 0) fail(detail::str("expected strides of at least 0, got ", core::shape_str(strides)));
      if (sizes[d] == 0) empty = true;
    }
    for (size_t d = 0; d < sizes.size() && !empty; ++d) {
      int64_t span = 0;
      if (__builtin_mul_overflow(sizes[d] - 1, strides[d], &span) || __builtin_add_overflow(last, span, &last) ||
          __builtin_mul_overflow(numel, sizes[d], &numel))
        fail("the tensor's size and stride overflow");
    }
    const int64_t available = s.numel;
    if (empty ? offset > available : last >= available)
      fail(detail::str("a tensor of size ", core::shape_str(sizes), ", stride ", core::shape_str(strides),
                       " and offset ", offset, " needs a storage of ", empty ? offset : last + 1,
                       " elements, but its storage has ", available));
    Tensor t(make_intrusive<TensorImpl>(s.storage, s.dtype, sizes, strides, s.offset + offset));
    if (a.size() > 4) set_requires_grad(t, a[4]);
    return t;
  }
  void set_requires_grad(Tensor& t, const Item& flag) {
    if (flag.kind != Item::kValue || !flag.value.isBool()) fail("expected a bool for requires_grad");
    if (!flag.value.toBool()) return;
    if (!isFloatingType(t.scalar_type()))
      fail("only Tensors of floating point dtype can require gradients");
    t.requires_grad_(true);
  }
  Tensor item_tensor(const Item& it, const char* what) const {
    if (it.kind != Item::kValue || !it.value.isTensor()) fail(detail::str("expected a tensor for ", what));
    return it.value.toTensor();
  }

  // REDUCE of an allowed global with these arguments.
  Item call(const std::string& f, const std::vector<Item>& a) {
    Item out;
    if (f == "collections.OrderedDict") {
      GenericDict d = new_dict(true);
      if (a.size() == 1 && a[0].kind == Item::kValue && a[0].value.isList()) {
        for (const IValue& pair : a[0].value.toListRef()) {
          if (!pair.isTuple() || pair.toTupleRef().size() != 2) fail("expected (key, value) pairs for OrderedDict");
          const IValue& k = pair.toTupleRef().elements()[0];
          if (!k.isString() && !k.isInt()) fail("expected dict keys to be str or int, but got " + k.tagKind());
          d.insert_or_assign(k, pair.toTupleRef().elements()[1]);
        }
      } else if (!a.empty()) {
        fail("expected OrderedDict() or OrderedDict([(key, value), ...])");
      }
      out.value = IValue(d);
    } else if (f == "torch.Size") {
      if (a.size() != 1) fail("expected torch.Size(tuple of ints)");
      item_ints(a[0], "torch.Size");
      out.value = a[0].value;
    } else if (f == "torch._utils._rebuild_tensor_v2") {
      out.value = rebuild_tensor(a, 6, 7);
    } else if (f == "torch._utils._rebuild_tensor") {
      out.value = rebuild_tensor(a, 4, 4);
    } else if (f == "torch._utils._rebuild_parameter" || f == "torch._utils._rebuild_parameter_with_state") {
      const size_t n = f == "torch._utils._rebuild_parameter" ? 3 : 4;
      if (a.size() != n) fail(detail::str("expected ", n, " arguments to ", f, ", got ", a.size()));
      Tensor t = item_tensor(a[0], "a parameter's data");
      set_requires_grad(t, a[1]);
      out.value = t;
    } else if (f == "torch._tensor._rebuild_from_type_v2") {
      if (a.size() != 4 || a[0].kind != Item::kGlobal || a[1].kind != Item::kGlobal)
        fail("expected _rebuild_from_type_v2(function, type, args, state)");
      if (a[1].global != "torch.Tensor" && a[1].global != "torch.nn.parameter.Parameter")
        fail("expected _rebuild_from_type_v2 of torch.Tensor or torch.nn.parameter.Parameter, got '" +
             excerpt(a[1].global) + "'");
      const Item& state = a[3];
      const bool no_state = state.kind == Item::kValue &&
                            (state.value.isNone() || (state.value.isGenericDict() && state.value.toGenericDict().empty()));
      if (!no_state) fail("a tensor with Python attributes (its state) is not supported");
      return call(a[0].global, tuple_items(a[2], "the arguments of _rebuild_from_type_v2"));
    } else {
      fail("calling '" + excerpt(f) + "' (REDUCE) is not supported");
    }
    return out;
  }

  void step(uint8_t op) {
    switch (op) {
      case 0x80: {  // PROTO
        const uint8_t v = r_.u8("the protocol version");
        if (v > 5) fail(detail::str("expected pickle protocol 2 to 5, got ", int{v}));
        return;
      }
      case 0x95: r_.u64le("the frame size"); return;  // FRAME: framing only
      case '(': marks_.push_back(stack_.size()); return;
      case '0': pop(); return;
      case '1': pop_mark(); return;
      case '2': stack_.push_back(top()); return;
      case 'N': push(IValue()); return;
      case 0x88: push(true); return;
      case 0x89: push(false); return;
      case 'J': push(static_cast<int32_t>(r_.u32le("a 4-byte int"))); return;
      case 'K': push(int64_t{r_.u8("a 1-byte int")}); return;
      case 'M': push(int64_t{r_.u16le("a 2-byte int")}); return;
      case 0x8a:
      case 0x8b: {  // LONG1, LONG4: little-endian two's complement
        const uint64_t n = op == 0x8a ? r_.u8("the length of a long") : r_.u32le("the length of a long");
        if (n > 8) fail(detail::str("an integer of ", n, " bytes does not fit in 64 bits"));
        const uint8_t* p = r_.bytes(static_cast<size_t>(n), "the bytes of a long");
        uint64_t v = 0;
        for (size_t i = n; i-- > 0;) v = (v << 8) | p[i];
        if (n > 0 && n < 8 && (p[n - 1] & 0x80)) v |= ~uint64_t{0} << (8 * n);  // sign-extend
        push(static_cast<int64_t>(v));
        return;
      }
      case 'G': {  // BINFLOAT: big-endian
        const uint8_t* p = r_.bytes(8, "an 8-byte float");
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        push(std::bit_cast<double>(bits));
        return;
      }
      case 'X': push(read_text(r_.u32le("a string length"), "a string", true)); return;
      case 0x8c: push(read_text(r_.u8("a string length"), "a string", true)); return;
      case 0x8d: {
        const uint64_t n = r_.u64le("a string length");
        r_.need(n > r_.remaining() ? SIZE_MAX : static_cast<size_t>(n), "a string");
        push(read_text(static_cast<size_t>(n), "a string", true));
        return;
      }
      case 'U': push(read_text(r_.u8("a string length"), "a string", false)); return;
      case 'T': {
        const auto n = static_cast<int32_t>(r_.u32le("a string length"));
        if (n < 0) fail("expected a string length of at least 0");
        push(read_text(static_cast<size_t>(n), "a string", false));
        return;
      }
      case ']': push(new_list()); return;
      case '}': push(new_dict(false)); return;
      case ')': stack_.push_back(make_tuple({})); return;
      case 'l': {
        std::vector<Item> items = pop_mark();
        GenericList l = new_list();
        for (Item& it : items) l.push_back(as_value(std::move(it), "a list"));
        push(l);
        return;
      }
      case 'd': {
        std::vector<Item> items = pop_mark();
        if (items.size() % 2) fail("expected key/value pairs after the MARK");
        push(new_dict(false));
        for (size_t i = 0; i < items.size(); i += 2) set_item(top(), std::move(items[i]), std::move(items[i + 1]));
        return;
      }
      case 't': stack_.push_back(make_tuple(pop_mark())); return;
      case 0x85:
      case 0x86:
      case 0x87: {
        const size_t n = op - 0x84u;
        if (stack_.size() < frame_base() + n) fail("expected a value on the stack (unpickling stack underflow)");
        std::vector<Item> items(std::make_move_iterator(stack_.end() - static_cast<std::ptrdiff_t>(n)),
                                std::make_move_iterator(stack_.end()));
        stack_.resize(stack_.size() - n);
        stack_.push_back(make_tuple(std::move(items)));
        return;
      }
      case 'a': {
        Item v = pop();
        append(top(), std::move(v));
        return;
      }
      case 'e': {
        std::vector<Item> items = pop_mark();
        Item& target = top();
        for (Item& it : items) append(target, std::move(it));
        return;
      }
      case 's': {
        Item v = pop();
        Item k = pop();
        set_item(top(), std::move(k), std::move(v));
        return;
      }
      case 'u': {
        std::vector<Item> items = pop_mark();
        if (items.size() % 2) fail("expected key/value pairs after the MARK");
        Item& target = top();
        for (size_t i = 0; i < items.size(); i += 2) set_item(target, std::move(items[i]), std::move(items[i + 1]));
        return;
      }
      case 'q': memo_put(r_.u8("a memo key")); return;
      case 'r': memo_put(r_.u32le("a memo key")); return;
      case 0x94: memo_put(memo_.size()); return;
      case 'h': memo_get(r_.u8("a memo key")); return;
      case 'j': memo_get(r_.u32le("a memo key")); return;
      case 'c': {
        std::string module = read_line("a module name");
        std::string name = read_line("a global name");
        global(std::move(module), std::move(name));
        return;
      }
      case 0x93: {  // STACK_GLOBAL
        Item name = pop();
        Item module = pop();
        global(item_string(module, "STACK_GLOBAL's module"), item_string(name, "STACK_GLOBAL's name"));
        return;
      }
      case 'Q': persistent_id(pop()); return;
      case 'R': {
        Item args = pop();
        Item& func = top();
        if (func.kind != Item::kGlobal) fail("expected a global to call (REDUCE)");
        const std::string f = func.global;
        func = call(f, tuple_items(args, "the arguments of a call"));
        return;
      }
      case 0x81: {  // NEWOBJ: only Parameter(data, requires_grad=True)
        Item args = pop();
        Item cls = pop();
        if (cls.kind != Item::kGlobal || cls.global != "torch.nn.parameter.Parameter")
          fail("creating an object of '" + excerpt(cls.kind == Item::kGlobal ? cls.global : "a non-class") +
               "' (NEWOBJ) is not supported");
        const std::vector<Item> a = tuple_items(args, "Parameter's arguments");
        if (a.empty() || a.size() > 2) fail("expected Parameter(data[, requires_grad])");
        Tensor t = item_tensor(a[0], "a parameter's data");
        Item flag;
        flag.value = true;
        set_requires_grad(t, a.size() == 2 ? a[1] : flag);
        push(t);
        return;
      }
      case 'b': {  // BUILD: a state_dict's _metadata on its OrderedDict is ignored
        Item state = pop();
        Item& target = top();
        if (target.kind != Item::kValue || !target.value.isGenericDict())
          fail("BUILD (setting an object's state) is supported only on dicts");
        if (state.kind != Item::kValue || !(state.value.isGenericDict() || state.value.isNone()))
          fail("expected a dict as the state of a dict (BUILD)");
        return;
      }
      case 0x8f:
      case 0x90:
      case 0x91: fail("sets are not supported");
      case 'B':
      case 'C':
      case 0x8e:
      case 0x96: fail("bytes objects are not supported");
      default:
        fail(detail::str("unsupported pickle opcode 0x", "0123456789abcdef"[op >> 4], "0123456789abcdef"[op & 15],
                         " (torch.save writes protocol 2; objects other than tensors, numbers, strings, lists, "
                         "tuples and dicts are not read)"));
    }
  }

  // Cycles and depth of the result (Note [What the unpickler constructs]).
  struct Node {
    const void* id;
    const std::vector<IValue>* elements;  // list or tuple
    const GenericDict* dict;
  };
  static bool node_of(const IValue& v, Node& n, GenericDict& dict_holder) {
    if (v.isList()) {
      n = {&v.toListRef(), &v.toListRef(), nullptr};
      return true;
    }
    if (v.isTuple()) {
      n = {&v.toTupleRef(), &v.toTupleRef().elements(), nullptr};
      return true;
    }
    if (v.isGenericDict()) {
      dict_holder = v.toGenericDict();
      n = {dict_holder.identity(), nullptr, &dict_holder};
      return true;
    }
    return false;
  }
  void check_graph(const IValue& root) {
    struct Frame {
      Node node;
      GenericDict holder;
      std::vector<const IValue*> children;
      size_t next = 0;
      int height = 0;
    };
    std::unordered_map<const void*, int> height;  // finished nodes; -1 while on the path
    std::vector<Frame> path;
    auto enter = [&](const IValue& v) -> int {  // the height of v if known, else pushes it
      Frame f;
      if (!node_of(v, f.node, f.holder)) return 0;
      auto it = height.find(f.node.id);
      if (it != height.end()) {
        if (it->second < 0) fail("the pickle's containers refer to themselves (a cycle)");
        return it->second;
      }
      if (path.size() >= static_cast<size_t>(kMaxPickleDepth))
        fail(detail::str("expected containers nested at most ", kMaxPickleDepth, " deep"));
      if (f.node.elements) {
        for (const IValue& e : *f.node.elements) f.children.push_back(&e);
      } else {
        for (const DictEntry& e : *f.node.dict) f.children.push_back(&e.value());
      }
      height[f.node.id] = -1;
      path.push_back(std::move(f));
      return -1;
    };
    enter(root);
    while (!path.empty()) {
      Frame& f = path.back();
      if (f.next < f.children.size()) {
        const int h = enter(*f.children[f.next++]);
        if (h >= 0) path.back().height = std::max(path.back().height, h);
        continue;
      }
      const int h = f.height + 1;
      height[f.node.id] = h;
      path.pop_back();
      if (!path.empty()) path.back().height = std::max(path.back().height, h);
    }
  }

  ByteReader r_;
  const PersistentLoad& load_;
  size_t op_at_ = 0;
  std::vector<Item> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, Item> memo_;
  std::vector<GenericList> lists_;
  std::vector<GenericDict> dicts_;
  std::vector<std::shared_ptr<ivalue::Tuple>> tuples_;
  bool keep_ = false;
};

// ---- the pickler ---------------------------------------------------------------------------

class Pickler {
 public:
  Pickler(std::vector<SavedStorage>& storages, const char* what) : storages_(storages), what_(what) {}
  std::vector<uint8_t> run(const IValue& v) {
    out_ = {0x80, 2};
    value(v, 0);
    out_.push_back('.');
    return std::move(out_);
  }

 private:
  void op(uint8_t c) { out_.push_back(c); }
  void text(std::string_view s) { out_.insert(out_.end(), s.begin(), s.end()); }
  void global(std::string_view module, std::string_view name) {
    op('c');
    text(module);
    op('\n');
    text(name);
    op('\n');
  }
  void string(const std::string& s) {
    NABLA_CHECK(valid_utf8(s), what_, ": the string '", excerpt(s), "' is not valid UTF-8, which Python's str needs");
    NABLA_CHECK(s.size() < 0xFFFFFFFFull, what_, ": a string of ", s.size(), " bytes is too long to pickle");
    op('X');
    put_le(out_, s.size(), 4);
    text(s);
  }
  void integer(int64_t v) {
    if (v >= 0 && v < 256) {
      op('K');
      op(static_cast<uint8_t>(v));
    } else if (v >= 0 && v < 65536) {
      op('M');
      put_le(out_, static_cast<uint64_t>(v), 2);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
      op('J');
      put_le(out_, static_cast<uint32_t>(static_cast<int32_t>(v)), 4);
    } else {
      // LONG1: the shortest little-endian two's complement that keeps the sign.
      uint8_t b[8];
      for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(static_cast<uint64_t>(v) >> (8 * i));
      int n = 8;
      while (n > 1 && ((b[n - 1] == 0 && !(b[n - 2] & 0x80)) || (b[n - 1] == 0xFF && (b[n - 2] & 0x80)))) --n;
      op(0x8a);
      op(static_cast<uint8_t>(n));
      out_.insert(out_.end(), b, b + n);
    }
  }
  void tuple_end(size_t n) {
    if (n == 0) op(')');
    else if (n <= 3) op(static_cast<uint8_t>(0x84 + n));
    else op('t');
  }
  void ints(IntArrayRef v) {
    if (v.size() > 3) op('(');
    for (int64_t x : v) integer(x);
    tuple_end(v.size());
  }
  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    op(')');
    op('R');
  }
  void tensor(const Tensor& t) {
    NABLA_CHECK(t.defined(), what_, ": an undefined tensor cannot be saved");
    const ScalarType dtype = t.scalar_type();
    const auto& storage = t.unsafeGetTensorImpl()->storage();
    auto [it, fresh] = index_.emplace(storage.get(), storages_.size());
    const size_t esize = elementSize(dtype);
    if (fresh) {
      storages_.push_back({storage, dtype, storage->nbytes() / esize * esize});
    } else {
      NABLA_CHECK(storages_[it->second].dtype == dtype, what_,
                  ": Cannot save multiple tensors or storages that view the same data as different types");
    }
    const SavedStorage& s = storages_[it->second];
    global("torch._utils", "_rebuild_tensor_v2");
    op('(');
    op('(');
    string("storage");
    global("torch", storage_name(dtype));
    string(std::to_string(it->second));
    string("cpu");
    integer(static_cast<int64_t>(s.nbytes / esize));
    op('t');
    op('Q');
    integer(t.storage_offset());
    ints(t.sizes());
    ints(t.strides());
    op(t.requires_grad() ? 0x88 : 0x89);
    empty_ordered_dict();
    op('t');
    op('R');
  }
  void value(const IValue& v, int depth) {
    NABLA_CHECK(depth < kMaxPickleDepth, what_, ": the value is nested more than ", kMaxPickleDepth,
                " deep (or refers to itself)");
    switch (v.tag()) {
      case IValue::Tag::None: op('N'); return;
      case IValue::Tag::Bool: op(v.toBool() ? 0x88 : 0x89); return;
      case IValue::Tag::Int: integer(v.toInt()); return;
      case IValue::Tag::Double: {
        op('G');
        const auto bits = std::bit_cast<uint64_t>(v.toDouble());
        for (int i = 7; i >= 0; --i) op(static_cast<uint8_t>(bits >> (8 * i)));
        return;
      }
      case IValue::Tag::String: string(v.toStringRef()); return;
      case IValue::Tag::Tensor: tensor(v.toTensor()); return;
      case IValue::Tag::List: {
        op(']');
        const auto& items = v.toListRef();
        if (items.empty()) return;
        op('(');
        for (const IValue& e : items) value(e, depth + 1);
        op('e');
        return;
      }
      case IValue::Tag::Tuple: {
        const auto& items = v.toTupleRef().elements();
        if (items.size() > 3) op('(');
        for (const IValue& e : items) value(e, depth + 1);
        tuple_end(items.size());
        return;
      }
      case IValue::Tag::GenericDict: {
        const GenericDict d = v.toGenericDict();
        if (d.is_ordered_dict()) {
          empty_ordered_dict();
        } else {
          op('}');
        }
        if (d.empty()) return;
        op('(');
        for (const DictEntry& e : d) {
          value(e.key(), depth + 1);
          value(e.value(), depth + 1);
        }
        op('u');
        return;
      }
    }
  }

  std::vector<uint8_t> out_;
  std::vector<SavedStorage>& storages_;
  std::unordered_map<const StorageImpl*, size_t> index_;
  const char* what_;
};

}  // namespace

bool storage_kind_from_name(std::string_view name, StorageKind& kind) {
  for (const auto& k : kStorageKinds) {
    if (name == k.name) {
      kind = k.kind;
      return true;
    }
  }
  return false;
}

size_t storage_element_size(StorageKind kind) {
  for (const auto& k : kStorageKinds)
    if (k.kind == kind) return k.size;
  return 1;
}

IValue unpickle(const uint8_t* data, size_t size, std::string_view kind, const std::string& path, uint64_t base,
                const PersistentLoad& load, size_t* consumed) {
  Unpickler u(data, size, kind, path, base, load);
  return u.run(consumed);
}

std::vector<uint8_t> pickle(const IValue& value, std::vector<SavedStorage>& storages, const char* what) {
  return Pickler(storages, what).run(value);
}

}  // namespace nabla::io

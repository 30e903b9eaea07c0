#pragma once
// What the torch adapter (python/fusedopt/torch.py) needs to know about a
// torch.Tensor, read through the Python C API. fusedopt is not built against
// libtorch; a Python-level loop over the tensors would cost more than the
// update of small tensors.
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fusedopt/dtype.hpp"
#include "fusedopt/param_table.hpp"

namespace fusedopt::bindings {

// One attribute or argument-less method of torch's C tensor and storage
// types, called through the C function behind it: the per-step checks read a
// few of these per tensor, and the generic attribute lookup would cost about
// as much as the read itself. Falls back to the generic call if torch ever
// implements one differently.
class Accessor {
 public:
  Accessor() = default;
  Accessor(const pybind11::handle& type, const char* name) : name_(name) {
    pybind11::object descr = pybind11::reinterpret_borrow<pybind11::object>(
        PyDict_GetItemString(reinterpret_cast<PyTypeObject*>(type.ptr())->tp_dict, name));
    if (descr && Py_IS_TYPE(descr.ptr(), &PyMethodDescr_Type)) {
      const PyMethodDef* def = reinterpret_cast<PyMethodDescrObject*>(descr.ptr())->d_method;
      if (def->ml_flags == METH_NOARGS)
        method_ = def->ml_meth;
      else if (def->ml_flags == (METH_VARARGS | METH_KEYWORDS))
        method_with_keywords_ = reinterpret_cast<PyCFunctionWithKeywords>(
            reinterpret_cast<void (*)()>(def->ml_meth));
    } else if (descr && Py_IS_TYPE(descr.ptr(), &PyGetSetDescr_Type)) {
      const PyGetSetDef* def = reinterpret_cast<PyGetSetDescrObject*>(descr.ptr())->d_getset;
      getter_ = def->get;
      closure_ = def->closure;
    } else if (descr) {
      attribute_ = !PyCallable_Check(descr.ptr());
    }
  }

  // `obj` must be an instance of the type the accessor was made for.
  pybind11::object operator()(pybind11::handle obj) const {
    PyObject* value = nullptr;
    if (getter_ != nullptr)
      value = getter_(obj.ptr(), closure_);
    else if (method_ != nullptr)
      value = method_(obj.ptr(), nullptr);
    else if (method_with_keywords_ != nullptr)
      value = method_with_keywords_(obj.ptr(), empty_tuple().ptr(), nullptr);
    else if (attribute_)
      value = PyObject_GetAttr(obj.ptr(), name_.ptr());
    else
      value = PyObject_CallMethodNoArgs(obj.ptr(), name_.ptr());
    if (value == nullptr) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(value);
  }

  std::int64_t integer(pybind11::handle obj) const {
    pybind11::object value = (*this)(obj);
    const long long out = PyLong_AsLongLong(value.ptr());
    if (out == -1 && PyErr_Occurred()) throw pybind11::error_already_set();
    return static_cast<std::int64_t>(out);
  }

 private:
  static const pybind11::tuple& empty_tuple() {
    static const auto* empty = new pybind11::tuple();  // never destroyed: outlives the interpreter
    return *empty;
  }

  pybind11::str name_;
  PyCFunction method_ = nullptr;
  PyCFunctionWithKeywords method_with_keywords_ = nullptr;
  getter getter_ = nullptr;
  void* closure_ = nullptr;
  bool attribute_ = false;
};

// The dtype and shape the kernels expect a tensor to have.
struct TensorLayout {
  DType dtype = DType::f32;
  std::vector<std::int64_t> shape;

  std::int64_t numel() const {
    std::int64_t n = 1;
    for (std::int64_t s : shape) n *= s;
    return n;
  }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype); }
};

// torch's dtype objects for the storage types, passed in once by the adapter
// as a tuple in DType order (float32, float64, bfloat16, float16).
class TorchDtypes {
 public:
  explicit TorchDtypes(const pybind11::tuple& dtypes) {
    if (dtypes.size() != kCount) throw pybind11::value_error("internal: one torch dtype per DType expected");
    for (std::size_t d = 0; d < kCount; ++d) objects_[d] = dtypes[d];
  }
  const pybind11::object& object(DType dtype) const { return objects_[static_cast<std::size_t>(dtype)]; }
  // The storage type of torch dtype `dtype`, if the kernels have one.
  bool find(pybind11::handle dtype, DType* out) const {
    for (std::size_t d = 0; d < kCount; ++d) {
      if (objects_[d].is(dtype)) {
        *out = static_cast<DType>(d);
        return true;
      }
    }
    return false;
  }

 private:
  static constexpr std::size_t kCount = 4;
  pybind11::object objects_[kCount];
};

class TorchTensors {
 public:
  // torch._C.TensorBase and torch._C.StorageBase (the C types that implement
  // tensors' and storages' attributes), torch's dtypes and torch.strided:
  // passed in once by the adapter, so that this file never imports torch.
  TorchTensors(const pybind11::object& tensor_base, const pybind11::object& storage_base,
               const TorchDtypes& dtypes, pybind11::object strided)
      : dtypes_(dtypes), strided_(std::move(strided)) {
    if (!PyType_Check(tensor_base.ptr()) || !PyType_Check(storage_base.ptr()))
      throw pybind11::type_error("internal: use_torch() needs torch's C tensor and storage types");
    grad_ = Accessor(tensor_base, "grad");
    data_ptr_ = Accessor(tensor_base, "data_ptr");
    version_ = Accessor(tensor_base, "_version");
    storage_ = Accessor(tensor_base, "untyped_storage");
    dtype_ = Accessor(tensor_base, "dtype");
    shape_ = Accessor(tensor_base, "shape");
    is_contiguous_ = Accessor(tensor_base, "is_contiguous");
    nbytes_ = Accessor(tensor_base, "nbytes");
    layout_ = Accessor(tensor_base, "layout");
    is_cpu_ = Accessor(tensor_base, "is_cpu");
    storage_data_ptr_ = Accessor(storage_base, "data_ptr");
    storage_nbytes_ = Accessor(storage_base, "nbytes");
    storage_resizable_ = Accessor(storage_base, "resizable");
  }

  // What a tensor was checked with. Its memory is used again without a full
  // check only while the tensor object, its storage object, its data pointer,
  // its version counter and (if the storage is resizable) the storage's size
  // are the ones recorded here: every in-place change of a tensor's sizes,
  // strides, offset or storage (resize_, set_, t_, as_strided_, ...) bumps its
  // version; `.data = x` and torch.utils.swap_tensors change its storage or
  // data pointer; share_memory_() and storage resizes move or shrink the
  // memory. Holding the storage (strong references) keeps its memory from
  // being reused by another tensor while it is remembered.
  //
  // A storage that is not resizable (torch.from_numpy's) is the exception:
  // torch's resize_ sets the new size before it fails to grow such a storage,
  // and the version is not bumped, so there the tensor's size is read too.
  //
  // Not noticed: `.data = x` where x views the same memory from the same
  // address (e.g. `t.data = t.t()`), which changes none of these. The memory
  // is then still the memory that was checked, only its shape or strides differ.
  struct Seen {
    pybind11::object tensor;   // the tensor, or a weak reference to it
    pybind11::object storage;  // its storage, or a weak reference to it
    std::uintptr_t data = 0;
    std::int64_t version = 0;
    std::int64_t storage_bytes = 0;
    std::int64_t bytes = 0;  // the tensor's own size (numel * itemsize)
    bool resizable = true;
    bool weak = false;

    explicit operator bool() const { return static_cast<bool>(tensor); }
  };

  enum class Change {
    none,    // unchanged
    values,  // same memory, version bumped: an in-place operation
    other,   // another object, storage, address or storage size
  };

  // The outcome of a full check: `why` is empty when the tensor is usable;
  // `convertible` when only its dtype or strides are wrong, which a copy fixes.
  struct Inspection {
    std::string why;
    bool convertible = false;
    std::uintptr_t data = 0;  // the data pointer, when usable
  };

  // The full check, for a tensor seen for the first time: whether the kernels
  // may use `t` as layout.numel() contiguous elements of layout.dtype, i.e. it
  // is a dense CPU tensor of that dtype and shape, contiguous, and its memory
  // lies within its storage. If so, records `t` in `seen` (weakly or not)
  // unless `seen` is null.
  Inspection inspect(pybind11::handle t, const TensorLayout& layout, bool weak, Seen* seen) const {
    if (!layout_(t).is(strided_)) return {"is not a dense (strided) tensor"};
    if (!is_cpu_(t).is(pybind11::handle(Py_True))) return {"is not on the CPU"};
    if (!dtype_(t).is(torch_dtype(layout.dtype)))
      return {std::string("does not have dtype ") + dtype_name(layout.dtype), true};
    if (pybind11::object shape = shape_(t); !equal(shape, layout.shape))
      return {"has shape " + format(ints(shape)) + ", expected " + format(layout.shape)};
    if (!contiguous(t, layout)) return {"is not contiguous", true};
    const auto data = static_cast<std::uintptr_t>(data_ptr_.integer(t));
    pybind11::object storage = storage_(t);
    const auto base = static_cast<std::uintptr_t>(storage_data_ptr_.integer(storage));
    const std::int64_t storage_bytes = storage_nbytes_.integer(storage);
    if (layout.numel() > 0) {
      if (data == 0) return {"has no storage (was it resized to 0 bytes?)"};
      if (data < base || data - base + layout.bytes() > static_cast<std::uint64_t>(storage_bytes))
        return {"reaches past the end of its storage (was the storage resized?)"};
    }
    if (seen == nullptr) return {{}, false, data};
    seen->weak = weak;
    seen->tensor = weak ? pybind11::weakref(t) : pybind11::reinterpret_borrow<pybind11::object>(t);
    seen->storage = weak ? pybind11::weakref(storage) : storage;
    seen->data = data;
    seen->version = version_.integer(t);
    seen->storage_bytes = storage_bytes;
    seen->bytes = static_cast<std::int64_t>(layout.bytes());
    seen->resizable = storage_resizable_(storage).is(pybind11::handle(Py_True));
    return {{}, false, data};
  }

  // The cheap check of a remembered tensor (`t` must be the object `seen`
  // records): four reads.
  Change compare(pybind11::handle t, const Seen& seen) const {
    pybind11::object storage = storage_(t);
    if (!same_object(seen.storage, seen.weak, storage.ptr())) return Change::other;
    if (static_cast<std::uintptr_t>(data_ptr_.integer(t)) != seen.data) return Change::other;
    if (seen.resizable ? storage_nbytes_.integer(storage) != seen.storage_bytes
                       : nbytes_.integer(t) != seen.bytes)
      return Change::other;
    return version_.integer(t) == seen.version ? Change::none : Change::values;
  }

  // After Change::values: the memory is the memory checked, but in-place
  // operations may also have changed the shape or strides (not the dtype); if
  // they did not, the new version is recorded.
  bool revalidate(pybind11::handle t, const TensorLayout& layout, Seen& seen) const {
    if (!equal(shape_(t), layout.shape) || !contiguous(t, layout)) return false;
    seen.version = version_.integer(t);
    return true;
  }

  // Whether the weak or strong reference refers to `object` (alive).
  static bool same_object(const pybind11::object& ref, bool weak, PyObject* object) {
    if (!weak) return ref.ptr() == object;
#if PY_VERSION_HEX >= 0x030D0000
    PyObject* target = nullptr;
    if (PyWeakref_GetRef(ref.ptr(), &target) < 0) throw pybind11::error_already_set();
    Py_XDECREF(target);  // compared by address only; the caller holds `object`
#else
    PyObject* target = PyWeakref_GetObject(ref.ptr());
#endif
    return target == object;
  }

  pybind11::object grad(pybind11::handle param) const { return grad_(param); }

 private:
  const pybind11::object& torch_dtype(DType dtype) const { return dtypes_.object(dtype); }

  // Whether `t` (of layout's shape) is C-contiguous, as torch defines it.
  bool contiguous(pybind11::handle t, const TensorLayout& layout) const {
    return layout.numel() == 0 || is_contiguous_(t).is(pybind11::handle(Py_True));
  }

  // Whether a torch.Size (a tuple of ints) holds `shape`.
  static bool equal(const pybind11::object& size, const std::vector<std::int64_t>& shape) {
    if (!PyTuple_Check(size.ptr()) || PyTuple_GET_SIZE(size.ptr()) != static_cast<Py_ssize_t>(shape.size()))
      return false;
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (PyLong_AsLongLong(PyTuple_GET_ITEM(size.ptr(), static_cast<Py_ssize_t>(d))) != shape[d]) {
        if (PyErr_Occurred()) throw pybind11::error_already_set();
        return false;
      }
    return true;
  }

  static std::vector<std::int64_t> ints(const pybind11::object& sequence) {
    pybind11::tuple items = pybind11::reinterpret_borrow<pybind11::tuple>(sequence);
    std::vector<std::int64_t> out(items.size());
    for (std::size_t k = 0; k < out.size(); ++k) out[k] = items[k].cast<std::int64_t>();
    return out;
  }

  // As Python prints a tuple: (), (3,), (3, 4).
  static std::string format(const std::vector<std::int64_t>& shape) {
    std::string out = "(";
    for (std::size_t d = 0; d < shape.size(); ++d)
      out += (d > 0 ? ", " : "") + std::to_string(shape[d]);
    return out + (shape.size() == 1 ? ",)" : ")");
  }

  TorchDtypes dtypes_;
  pybind11::object strided_;
  Accessor grad_, data_ptr_, version_, storage_, dtype_, shape_, is_contiguous_, nbytes_, layout_, is_cpu_,
      storage_data_ptr_, storage_nbytes_, storage_resizable_;
};

// A scalar state's tensor for TorchBinding::bind: scalar k of the
// declaration, labelled names[what] in messages; `live`: it holds the state.
struct ScalarTensor {
  int k;
  int what;
  pybind11::object tensor;
  bool live;
};

// The memory the kernels use for a torch optimizer: parameters, state
// buffers and step counts, each named for error messages. Built once per
// core, then sealed: sorted, checked to be pairwise disjoint (the kernels'
// pointers are __restrict), and queried for each new gradient.
class TorchMemory {
 public:
  // `what`: kParam, kStep, or the index of a state's name (buffers, then scalars).
  static constexpr int kParam = -1;
  static constexpr int kStep = -2;

  void add(std::uintptr_t begin, std::size_t bytes, std::int64_t param, int what) {
    if (bytes > 0) spans_.push_back({begin, begin + bytes, param, what});
  }

  // Raises naming the first two that share a byte.
  void seal(const std::vector<std::string>& state_names) {
    std::sort(spans_.begin(), spans_.end(),
              [](const Span& a, const Span& b) { return a.begin < b.begin; });
    for (std::size_t k = 1; k < spans_.size(); ++k)
      if (spans_[k].begin < spans_[k - 1].end)
        throw pybind11::value_error(label(spans_[k], state_names) + " shares memory with " +
                                    label(spans_[k - 1], state_names));
  }

  // The label of something that shares a byte with [begin, begin + bytes), or "".
  std::string owner(std::uintptr_t begin, std::size_t bytes,
                    const std::vector<std::string>& state_names) const {
    if (bytes == 0) return {};
    const std::uintptr_t end = begin + bytes;
    // Disjoint spans: only the last one that begins before `end` can reach `begin`.
    auto it = std::lower_bound(spans_.begin(), spans_.end(), end,
                               [](const Span& s, std::uintptr_t x) { return s.begin < x; });
    if (it == spans_.begin() || (it - 1)->end <= begin) return {};
    return label(*(it - 1), state_names);
  }

  static std::string label(std::int64_t param, int what, const std::vector<std::string>& names) {
    const std::string p = "params[" + std::to_string(param) + "]";
    if (what == kParam) return p;
    return "state '" + (what == kStep ? std::string("step") : names[static_cast<std::size_t>(what)]) +
           "' of " + p;
  }

 private:
  struct Span {
    std::uintptr_t begin, end;
    std::int64_t param;
    int what;
  };
  static std::string label(const Span& s, const std::vector<std::string>& names) {
    return label(s.param, s.what, names);
  }

  std::vector<Span> spans_;
};

// The torch side of one optimizer core: the parameter, gradient and state
// tensors the kernels use, what each was checked with, and the memory they
// occupy. A core is built once from a set of parameters and state tensors
// (add_params, bind, seal) and then only stepped; when anything it was built
// from changes, the adapter builds a new core, so a failed build, load or
// step leaves the previous one as it was.
class TorchBinding {
 public:
  TorchBinding(const pybind11::object& tensor_base, const pybind11::object& storage_base,
               const pybind11::tuple& dtypes, pybind11::object strided)
      : dtypes_(dtypes), tensors_(tensor_base, storage_base, dtypes_, std::move(strided)) {}

  // Registers parameters (checked by the adapter for type, device and
  // dtype) as table entries of `group`.
  void add_params(ParamTable& table, const pybind11::list& params, int group) {
    require_building();
    // Every group counts, even an empty one (ZeroRedundancyOptimizer's shards may be).
    if (group_sizes_.size() <= static_cast<std::size_t>(group))
      group_sizes_.resize(static_cast<std::size_t>(group) + 1, 0);
    for (pybind11::handle p : params) {
      const auto i = static_cast<std::int64_t>(params_.size());
      Param entry;
      entry.layout = layout_of(p, TorchMemory::label(i, TorchMemory::kParam, {}));
      inspect_or_raise(p, entry.layout, &entry.param, i, TorchMemory::kParam, {});
      memory_.add(entry.param.data, entry.layout.bytes(), i, TorchMemory::kParam);
      table.add(reinterpret_cast<void*>(entry.param.data), entry.layout.numel(), entry.layout.dtype,
                group, entry.layout.dtype);  // bind() gives each buffer its tensor's dtype
      ++group_sizes_[static_cast<std::size_t>(group)];
      params_.push_back(std::move(entry));
    }
  }

  // Parameter i's state: (name index, tensor, live) per buffer, each of the
  // parameter's dtype and shape; torch's float32 one-element 'step' tensor
  // (None when the algorithm keeps none) with the count it holds; and the
  // scalar states, one-element tensors of a storage type. `names` label
  // buffers and scalars alike (ScalarTensor::what).
  void bind(ParamTable& table, std::int64_t i,
            const std::vector<std::tuple<int, pybind11::object, bool>>& buffers,
            const pybind11::object& step, std::int64_t count,
            const std::vector<ScalarTensor>& scalars, const std::vector<std::string>& names) {
    require_building();
    Param& entry = params_.at(static_cast<std::size_t>(i));
    if (entry.bound) throw pybind11::value_error("internal: parameter bound twice");
    for (const auto& [k, tensor, live] : buffers) {
      Bound& b = entry.states.emplace_back();
      // The parameter's shape, in the tensor's own storage type (the adapter
      // made or converted it to the group's state_dtype).
      b.layout = layout_of(tensor, TorchMemory::label(i, k, names));
      if (b.layout.shape != entry.layout.shape)
        throw pybind11::value_error("internal: " + TorchMemory::label(i, k, names) +
                                    " does not have its parameter's shape");
      if ((b.layout.dtype == DType::f64) != (entry.layout.dtype == DType::f64))
        throw pybind11::value_error("internal: " + TorchMemory::label(i, k, names) +
                                    " mixes float64 with another type");
      inspect_or_raise(tensor, b.layout, &b.seen, i, k, names);
      memory_.add(b.seen.data, b.layout.bytes(), i, k);
      table.bind_external_state(i, k, reinterpret_cast<void*>(b.seen.data), b.layout.dtype, live);
    }
    if (!step.is_none()) {
      Bound& b = entry.states.emplace_back();
      b.layout = layout_of(step, TorchMemory::label(i, TorchMemory::kStep, names));
      b.value_in_core = true;
      if (b.layout.dtype != DType::f32 || b.layout.numel() != 1)
        throw pybind11::value_error("internal: the step tensor must be one float32");
      inspect_or_raise(step, b.layout, &b.seen, i, TorchMemory::kStep, names);
      memory_.add(b.seen.data, sizeof(float), i, TorchMemory::kStep);
      table.bind_step_mirror(i, reinterpret_cast<float*>(b.seen.data));
      table.set_step(i, count);
    }
    for (const ScalarTensor& scalar : scalars) {
      Bound& b = entry.states.emplace_back();
      b.layout = layout_of(scalar.tensor, TorchMemory::label(i, scalar.what, names));
      b.value_in_core = true;
      if (b.layout.numel() != 1)
        throw pybind11::value_error("internal: a scalar state tensor must have one element");
      inspect_or_raise(scalar.tensor, b.layout, &b.seen, i, scalar.what, names);
      memory_.add(b.seen.data, dtype_size(b.layout.dtype), i, scalar.what);
      table.bind_scalar_mirror(i, scalar.k, reinterpret_cast<void*>(b.seen.data), b.layout.dtype,
                               scalar.live);
    }
    entry.bound = true;
  }

  // Checks that no two tensors share memory; the core can step from then on.
  void seal(const std::vector<std::string>& names) {
    require_building();
    memory_.seal(names);
    sealed_ = true;
  }

  // Prepares a step: `groups` are the param_groups' parameter lists now,
  // `converted` per parameter None or a gradient the adapter made readable.
  // Returns None and fills `pointers` (gradients, held in `held`) when the
  // kernels may run; otherwise, without side effects, (rebuild, unreadable):
  // whether anything the core was built from changed (parameters moved or
  // edited in place, param_groups edited, state tensors changed, a parameter
  // with a gradient has no state bound) and the parameters whose gradients
  // the kernels cannot read as they are, as (index, convertible, reason).
  pybind11::object prepare_step(const pybind11::list& groups, const pybind11::list& converted,
                                const std::vector<std::string>& names,
                                std::vector<const void*>& pointers,
                                std::vector<pybind11::object>& held) {
    if (!sealed_) throw pybind11::value_error("internal: the core was not sealed");
    const std::size_t n = params_.size();
    if (converted.size() != n) throw pybind11::value_error("internal: one entry per parameter expected");
    pointers.assign(n, nullptr);
    held.reserve(n);
    pybind11::list unreadable;
    std::string aliased;  // the first gradient that shares memory with what the kernels write
    bool rebuild = !same_groups(groups);
    for (std::size_t i = 0; i < n && !rebuild; ++i) {
      Param& entry = params_[i];
      if (!still_valid(entry.param.tensor, entry.layout, entry.param)) {
        rebuild = true;
        break;
      }
      pybind11::object g = converted[i];
      bool checked = false;  // whether g's memory was checked against the core's
      if (g.is_none()) {
        g = tensors_.grad(entry.param.tensor);
        if (g.is_none()) continue;
        if (!known_gradient(entry, g)) {
          Inspection result = check_gradient(entry, g);
          if (!result.why.empty()) {
            unreadable.append(pybind11::make_tuple(i, result.convertible, result.why));
            continue;
          }
          checked = true;
        }
      } else {
        const Inspection result = tensors_.inspect(g, entry.layout, false, nullptr);
        if (!result.why.empty())
          throw pybind11::value_error("internal: a converted gradient is not readable");
        entry.grad_data = result.data;
        checked = true;
      }
      if (!entry.bound) {
        rebuild = true;
        break;
      }
      for (Bound& b : entry.states)
        if (!still_valid(b.seen.tensor, b.layout, b.seen, /*follow_values=*/!b.value_in_core))
          rebuild = true;
      if (checked && aliased.empty()) {
        const std::string owner = memory_.owner(entry.grad_data, entry.layout.bytes(), names);
        if (!owner.empty())
          aliased = TorchMemory::label(static_cast<std::int64_t>(i), TorchMemory::kParam, names) +
                    ".grad shares memory with " + owner;
      }
      pointers[i] = reinterpret_cast<const void*>(entry.grad_data);
      held.push_back(std::move(g));
    }
    if (rebuild || !unreadable.empty()) return pybind11::make_tuple(rebuild, unreadable);
    if (!aliased.empty()) throw pybind11::value_error(aliased);
    return pybind11::none();
  }

 private:
  using Seen = TorchTensors::Seen;
  using Inspection = TorchTensors::Inspection;

  struct Bound {  // a state tensor
    Seen seen;
    TensorLayout layout;
    // The step count or a scalar state: its value lives in the core (which
    // writes it back after each step) and is read again when it changes.
    bool value_in_core = false;
  };

  struct Param {
    TensorLayout layout;
    Seen param;
    Seen grad;                    // the last gradient tensor remembered, weakly
    std::uintptr_t grad_data = 0;  // the current gradient's data pointer
    std::uint32_t misses = 0;     // gradients checked in a row without a hit
    std::vector<Bound> states;
    bool bound = false;
  };

  void require_building() const {
    if (sealed_) throw pybind11::value_error("internal: the core is sealed");
  }

  // The parameters' dtype and shape, as the kernels will see them.
  TensorLayout layout_of(pybind11::handle t, const std::string& label) const {
    TensorLayout layout;
    if (!dtypes_.find(t.attr("dtype"), &layout.dtype))
      throw pybind11::type_error(label + " must be float32, float64, bfloat16 or float16");
    for (pybind11::handle s : pybind11::tuple(t.attr("shape")))
      layout.shape.push_back(s.cast<std::int64_t>());
    return layout;
  }

  void inspect_or_raise(pybind11::handle t, const TensorLayout& layout, Seen* seen, std::int64_t i,
                        int what, const std::vector<std::string>& names) const {
    const Inspection result = tensors_.inspect(t, layout, false, seen);
    if (!result.why.empty())
      throw pybind11::value_error(TorchMemory::label(i, what, names) + " " + result.why);
  }

  // Whether the param_groups' lists hold exactly the parameters, in order.
  bool same_groups(const pybind11::list& groups) const {
    if (groups.size() != group_sizes_.size()) return false;
    std::size_t i = 0;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      PyObject* list = PyList_GET_ITEM(groups.ptr(), static_cast<Py_ssize_t>(k));
      if (!PyList_Check(list) && !PyTuple_Check(list)) return false;
      const Py_ssize_t size = PySequence_Fast_GET_SIZE(list);
      if (static_cast<std::size_t>(size) != group_sizes_[k]) return false;
      PyObject** items = PySequence_Fast_ITEMS(list);
      for (Py_ssize_t j = 0; j < size; ++j, ++i)
        if (items[j] != params_[i].param.tensor.ptr()) return false;
    }
    return true;
  }

  // The cheap check of a remembered tensor. An in-place operation that kept
  // its memory is followed (the kernels read the memory each step) if the
  // tensor still has the dtype, shape and strides the kernels need, except
  // for the step count and scalar states (`follow_values` false), which live
  // in the core and must be read again.
  bool still_valid(pybind11::handle t, const TensorLayout& layout, Seen& seen,
                   bool follow_values = true) const {
    switch (tensors_.compare(t, seen)) {
      case TorchTensors::Change::none:
        return true;
      case TorchTensors::Change::values:
        return follow_values && tensors_.revalidate(t, layout, seen);
      case TorchTensors::Change::other:
        return false;
    }
    return false;
  }

  // Whether `g` is the gradient remembered for `entry` and unchanged.
  bool known_gradient(Param& entry, const pybind11::object& g) {
    if (!entry.grad || !TorchTensors::same_object(entry.grad.tensor, true, g.ptr())) return false;
    if (!still_valid(g, entry.layout, entry.grad)) return false;
    entry.grad_data = entry.grad.data;
    entry.misses = 0;
    return true;
  }

  // The full check of a gradient. A full check costs several times the
  // cheap one, so a gradient that passed is remembered, weakly (it must not
  // outlive its owner). Remembering costs about a check itself, wasted when
  // every step brings new gradient tensors (zero_grad(set_to_none=True)):
  // after a few misses in a row it is done only every 16th step, which still
  // finds reused ones.
  Inspection check_gradient(Param& entry, const pybind11::object& g) {
    const std::uint32_t misses = entry.misses + 1;
    const bool remember = misses <= 2 || misses % 16 == 0;
    Seen seen;
    Inspection result = tensors_.inspect(g, entry.layout, true, remember ? &seen : nullptr);
    if (!result.why.empty()) return result;
    entry.grad_data = result.data;
    entry.grad = std::move(seen);
    entry.misses = misses;
    return result;
  }

  TorchDtypes dtypes_;
  TorchTensors tensors_;
  std::vector<Param> params_;
  std::vector<std::size_t> group_sizes_;
  TorchMemory memory_;
  bool sealed_ = false;
};

}  // namespace fusedopt::bindings

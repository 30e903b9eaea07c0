// The fused optimizer core behind fusedopt.SGD/RMSprop/Adam/AdamW.
//
// Hyperparameters and parameters are validated in Python once; gradients are
// checked here because the check runs every step and a Python loop over
// tensors would cost more than the update of small tensors.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "fusedopt/fused_step.hpp"
#include "fusedopt/param_table.hpp"
#include "fusedopt/step_launch.hpp"
#include "register.hpp"
#include "torch_tensors.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

// ---- Hyperparameters, read by name from each group's dict (as
// python/fusedopt/_declarations.py declares them and the optimizer's C++
// declaration lists them in fields()). Python has validated the values.
class HyperReader {
 public:
  HyperReader(py::handle group, std::size_t index) : group_(group), index_(index) {
    if (!PyDict_Check(group.ptr()))
      throw py::type_error("internal: hyperparameters of group " + std::to_string(index) +
                           " are not a dict");
  }
  void operator()(const char* name, double& x) const { x = number(require(name), name); }
  void operator()(const char* name, bool& x) const { x = flag(require(name)); }
  // A pair such as betas = (beta1, beta2).
  void operator()(const char* name, double& a, double& b) const {
    const py::sequence pair = py::reinterpret_borrow<py::sequence>(require(name));
    if (pair.size() != 2) throw missing(name);
    a = number(pair[0].ptr(), name);
    b = number(pair[1].ptr(), name);
  }
  // The regularizer's fields: absent (torch groups) means none.
  void optional(const char* name, double& x) const {
    if (PyObject* v = find(name)) x = number(v, name);
  }
  void optional(const char* name, bool& x) const {
    if (PyObject* v = find(name)) x = flag(v);
  }

 private:
  PyObject* find(const char* name) const { return PyDict_GetItemString(group_.ptr(), name); }
  PyObject* require(const char* name) const {
    PyObject* v = find(name);
    if (!v) throw missing(name);
    return v;
  }
  py::value_error missing(const char* name) const {
    return py::value_error("internal: param_groups[" + std::to_string(index_) + "] has no usable '" +
                           name + "'");
  }
  static double number(PyObject* v, const char* name) {
    const double x = PyFloat_AsDouble(v);
    if (x == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      throw py::type_error(std::string("internal: hyperparameter '") + name + "' is not a number");
    }
    return x;
  }
  static bool flag(PyObject* v) {
    const int truth = PyObject_IsTrue(v);
    if (truth < 0) throw py::error_already_set();
    return truth != 0;
  }

  py::handle group_;
  std::size_t index_;
};

// Collects the names a declaration's fields() visits.
struct NameCollector {
  std::vector<std::string> names;
  void operator()(const char* name, double&) { names.emplace_back(name); }
  void operator()(const char* name, bool&) { names.emplace_back(name); }
  void operator()(const char* name, double&, double&) { names.emplace_back(name); }
  void optional(const char* name, double&) { names.emplace_back(name); }
  void optional(const char* name, bool&) { names.emplace_back(name); }
};

// What the core needs of one optimizer, derived from its declaration
// (fusedopt/optimizer.hpp): type-erased so that one Core serves them all.
class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual const std::vector<std::string>& states() const = 0;
  virtual const std::vector<std::string>& scalars() const = 0;
  virtual bool has_step() const = 0;
  virtual bool state_at_construction() const = 0;
  virtual std::vector<std::string> hyperparameters() const = 0;
  // Reads every group's hyperparameters (one dict per group) for run().
  virtual void read(const py::list& hypers) = 0;
  // The buffers a group with these hyperparameters uses, each with its
  // initial value (the hyperparameters are read once).
  virtual std::vector<std::pair<int, double>> used(py::handle hyper) const = 0;
  // Each scalar state's value before the first step for these hyperparameters.
  virtual std::vector<double> scalar_initials(py::handle hyper) const = 0;
  // One step with the hyperparameters read last. Safe without the GIL.
  virtual void run(ParamTable& table, const GradRef* grads) const = 0;
  virtual std::int64_t groups() const = 0;
};

template <class Opt>
class AlgorithmOf final : public Algorithm {
 public:
  AlgorithmOf() : states_(std::begin(Opt::states), std::end(Opt::states)) {
    for (int k = 0; k < Scalars::count; ++k) scalars_.emplace_back(Scalars::name(k));
  }
  const std::vector<std::string>& states() const override { return states_; }
  const std::vector<std::string>& scalars() const override { return scalars_; }
  bool has_step() const override { return Opt::has_step; }
  bool state_at_construction() const override { return Opt::state_at_construction; }
  std::vector<std::string> hyperparameters() const override {
    NameCollector names;
    typename Opt::Hyper h{};
    Opt::fields(names, h);
    return names.names;
  }
  void read(const py::list& hypers) override {
    std::vector<typename Opt::Hyper> out(hypers.size());
    for (std::size_t g = 0; g < hypers.size(); ++g) out[g] = parse(hypers[g], g);
    hypers_ = std::move(out);
  }
  std::vector<std::pair<int, double>> used(py::handle hyper) const override {
    const typename Opt::Hyper h = parse(hyper, 0);
    std::vector<std::pair<int, double>> out;
    for (int k = 0; k < Opt::kStates; ++k)
      if (Opt::uses(h, k)) out.emplace_back(k, Opt::initial(h, k));
    return out;
  }
  std::vector<double> scalar_initials(py::handle hyper) const override {
    const typename Opt::Hyper h = parse(hyper, 0);
    std::vector<double> out;
    for (int k = 0; k < Scalars::count; ++k) out.push_back(Scalars::initial(h, k));
    return out;
  }
  void run(ParamTable& table, const GradRef* grads) const override {
    fused_step<Opt>(table, hypers_.data(), grads);
  }
  std::int64_t groups() const override { return static_cast<std::int64_t>(hypers_.size()); }

 private:
  static typename Opt::Hyper parse(py::handle hyper, std::size_t index) {
    typename Opt::Hyper h{};
    HyperReader reader(hyper, index);
    Opt::fields(reader, h);
    return h;
  }
  using Scalars = ScalarsOf<Opt>;
  std::vector<std::string> states_;
  std::vector<std::string> scalars_;
  std::vector<typename Opt::Hyper> hypers_;
};

std::unique_ptr<Algorithm> make_algorithm(const std::string& name) {
#define FUSEDOPT_MAKE(Opt) \
  if (name == Opt::name) return std::make_unique<AlgorithmOf<Opt>>();
  FUSEDOPT_OPTIMIZERS(FUSEDOPT_MAKE)
#undef FUSEDOPT_MAKE
  throw py::value_error("unknown algorithm '" + name + "'");
}

// Every optimizer's declaration as Python reads it: name -> {'states',
// 'scalars', 'hyperparameters', 'has_step', 'state_at_construction', 'block'}.
py::dict describe_optimizers() {
  py::dict out;
#define FUSEDOPT_DESCRIBE(Opt)                                              \
  {                                                                         \
    const AlgorithmOf<Opt> algo;                                            \
    py::dict d;                                                             \
    d["states"] = py::tuple(py::cast(algo.states()));                       \
    d["scalars"] = py::tuple(py::cast(algo.scalars()));                     \
    d["hyperparameters"] = py::tuple(py::cast(algo.hyperparameters()));     \
    d["has_step"] = Opt::has_step;                                          \
    d["state_at_construction"] = Opt::state_at_construction;                \
    d["block"] = Opt::block;                                                \
    out[Opt::name] = d;                                                     \
  }
  FUSEDOPT_OPTIMIZERS(FUSEDOPT_DESCRIBE)
#undef FUSEDOPT_DESCRIBE
  return out;
}

// NumPy has no bfloat16: ml_dtypes' bfloat16 is a user-defined dtype whose
// type number NumPy assigns at run time. fusedopt's Python side registers it
// (use_bfloat16) when it first meets a bfloat16 array.
struct Bfloat16Dtype {
  py::object dtype;  // None until registered
  int type_num = -1;
};
Bfloat16Dtype& bfloat16() {
  static auto* registered = new Bfloat16Dtype{py::none(), -1};  // never destroyed: outlives the interpreter
  return *registered;
}

void use_bfloat16(const py::dtype& dtype) {
  if (dtype.itemsize() != 2 || dtype.kind() != 'V' || dtype.attr("name").cast<std::string>() != "bfloat16")
    throw py::type_error("internal: not ml_dtypes' bfloat16 dtype");
  bfloat16() = {dtype, dtype.num()};
}

constexpr int kNpyHalf = 23;  // NumPy's NPY_HALF (float16), which pybind11 does not name

int numpy_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return py::detail::npy_api::NPY_FLOAT_;
    case DType::f64:
      return py::detail::npy_api::NPY_DOUBLE_;
    case DType::f16:
      return kNpyHalf;
    case DType::bf16:
      return bfloat16().type_num;
  }
  std::abort();
}

py::dtype numpy_dtype(DType dtype) {
  if (dtype == DType::bf16) {
    if (bfloat16().type_num < 0) throw py::type_error("bfloat16 arrays need the ml_dtypes package");
    return py::reinterpret_borrow<py::dtype>(bfloat16().dtype);
  }
  return py::dtype(numpy_type(dtype));
}

// A 0-d array of `dtype` holding `value` (which that type represents).
py::array scalar_array(DType dtype, double value) {
  py::array out(numpy_dtype(dtype), std::vector<py::ssize_t>{});
  write_scalar(out.mutable_data(), dtype, value);
  return out;
}

// numpy's type numbers name a dtype and its byte order is checked apart:
// cheaper than building a py::dtype per gradient and comparing objects.
bool is_dtype(const py::array& a, DType dtype) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  constexpr char kSwapped = '>';
#else
  constexpr char kSwapped = '<';
#endif
  const auto* descr = py::detail::array_descriptor_proxy(py::detail::array_proxy(a.ptr())->descr);
  const int wanted = numpy_type(dtype);
  return wanted >= 0 && descr->type_num == wanted && descr->byteorder != kSwapped;
}

constexpr DType kDtypes[] = {DType::f32, DType::f64, DType::bf16, DType::f16};

// The storage type of a NumPy array the kernels can use, if it has one.
bool dtype_of(const py::array& a, DType* out) {
  for (DType d : kDtypes) {
    if (is_dtype(a, d)) {
      *out = d;
      return true;
    }
  }
  return false;
}

// A group's `state_dtype` option: the storage type of its parameters'
// state buffers, or none (each parameter's own type). Python checked it.
std::optional<DType> group_state_dtype(py::handle hyper) {
  PyObject* value = PyDict_Check(hyper.ptr()) ? PyDict_GetItemString(hyper.ptr(), "state_dtype") : nullptr;
  if (!value || value == Py_None) return std::nullopt;
  const std::string name = py::str(value);
  for (DType d : kDtypes)
    if (name == dtype_name(d)) return d;
  throw py::value_error("internal: unknown state_dtype '" + name + "'");
}

// Marks a step in progress: the kernels run without the GIL, so a second
// thread could otherwise enter the same optimizer.
class Busy {
 public:
  explicit Busy(std::atomic<bool>& flag) : flag_(flag) {
    if (flag_.exchange(true))
      throw py::value_error("this optimizer is already in use by another thread");
  }
  ~Busy() { flag_.store(false); }
  Busy(const Busy&) = delete;
  Busy& operator=(const Busy&) = delete;

 private:
  std::atomic<bool>& flag_;
};

class Core {
 public:
  explicit Core(const std::string& algo)
      : algo_(make_algorithm(algo)), names_(algo_->states()), scalar_names_(algo_->scalars()) {
    labels_ = names_;
    labels_.insert(labels_.end(), scalar_names_.begin(), scalar_names_.end());
  }

  // The state buffers a group with these hyperparameters uses, in the
  // kernel's order: name -> value before the first step.
  py::dict states_for(py::handle hyper) const {
    py::dict out;
    for (const auto& [k, initial] : algo_->used(hyper))
      out[py::str(names_[static_cast<std::size_t>(k)])] = initial;
    return out;
  }

  // The scalar states with these hyperparameters: name -> value before the
  // first step, as a new float32 0-d tensor holds it.
  py::dict scalars_for(py::handle hyper) const {
    py::dict out;
    const std::vector<double> initials = algo_->scalar_initials(hyper);
    for (std::size_t k = 0; k < initials.size(); ++k)
      out[py::str(scalar_names_[k])] = round_to(DType::f32, initials[k]);
    return out;
  }

  // Parameters were validated in Python (dtype, contiguity, writeability,
  // no overlap among themselves); here they are checked against the state
  // buffers, whose addresses only C++ knows. An optimizer whose state torch
  // makes at construction (Adagrad) gets it now, from the group's `hyper`.
  void add_params(const py::list& params, int group, py::handle hyper) {
    Busy busy(busy_);
    std::vector<py::array> arrays;
    std::vector<DType> dtypes;
    for (py::handle h : params) {
      if (!py::isinstance<py::array>(h)) throw py::type_error("a parameter is not an ndarray");
      py::array a = py::reinterpret_borrow<py::array>(h);
      DType dtype;
      if (!dtype_of(a, &dtype))
        throw py::type_error("a parameter is not float32, float64, bfloat16 or float16");
      if (!usable(a) || !a.writeable())
        throw py::value_error("a parameter is not C-contiguous, aligned and writeable");
      const auto* begin = static_cast<const char*>(a.data());
      if (table_.overlaps(begin, begin + a.nbytes())) {
        const auto index = table_.count() + static_cast<std::int64_t>(arrays.size());
        throw py::value_error("params[" + std::to_string(index) +
                              "] shares memory with an optimizer state buffer");
      }
      arrays.push_back(a);
      dtypes.push_back(dtype);
    }
    const std::optional<DType> state_dtype = group_state_dtype(hyper);
    for (std::size_t k = 0; k < dtypes.size(); ++k) {
      if (state_dtype && (*state_dtype == DType::f64) != (dtypes[k] == DType::f64))
        throw py::value_error("internal: params[" + std::to_string(k) +
                              "] cannot keep its state in " + dtype_name(*state_dtype));
    }
    // What construction-time state needs, read before anything changes.
    std::vector<std::pair<int, double>> made;
    if (algo_->state_at_construction()) made = algo_->used(hyper);
    params_.reserve(params_.size() + arrays.size());
    shapes_.reserve(shapes_.size() + arrays.size());
    for (std::size_t k = 0; k < arrays.size(); ++k) {
      py::array& a = arrays[k];
      shapes_.emplace_back(a.shape(), a.shape() + a.ndim());
      const std::int64_t i =
          table_.add(a.mutable_data(), static_cast<std::int64_t>(a.size()), dtypes[k], group,
                     state_dtype.value_or(dtypes[k]));
      params_.push_back(std::move(a));
      for (const auto& [state, initial] : made) {
        table_.ensure_state(i, state, initial);
        table_.set_live(i, state, true);
      }
    }
    group_sizes_.push_back(static_cast<std::int64_t>(arrays.size()));
  }

  // One step of the NumPy front end: `param_groups` is the optimizer's list
  // of groups, whose 'params' must still hold the arrays registered by
  // add_params, in their places; `hypers` was packed from it.
  //
  // Converting a gradient may run Python code (an __array__ method) that
  // resizes, reallocates or locks any array, a parameter or a gradient
  // looked at before. So every gradient is converted first, and only then,
  // with no Python code running any more, are the groups, the parameters
  // and the gradients checked and their addresses taken.
  void step(const py::list& param_groups, const py::list& grads, const py::list& hypers,
            const py::object& coerce) {
    Busy busy(busy_);
    const std::int64_t n = table_.count();
    if (static_cast<std::int64_t>(grads.size()) != n)
      throw py::value_error("grads has " + std::to_string(grads.size()) + " entries, expected " +
                            std::to_string(n));
    // Own a reference to every gradient until the kernels are done: user
    // code (an __array__ in coerce, another thread while the GIL is released)
    // could otherwise drop the last one.
    std::vector<py::object> held(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      py::object g = grads[static_cast<std::size_t>(i)];
      if (g.is_none()) continue;
      if (!matches(g, i)) g = coerce(g, i, params_[i]);
      held[static_cast<std::size_t>(i)] = std::move(g);
    }
    check_groups(param_groups);
    std::vector<GradRef> pointers(static_cast<std::size_t>(n), GradRef{nullptr, DType::f32});
    for (std::int64_t i = 0; i < n; ++i) {
      const py::object& g = held[static_cast<std::size_t>(i)];
      if (!g) continue;
      check_param_unchanged(i);
      if (!matches(g, i))  // changed by a later conversion's Python code
        throw py::value_error("grads[" + std::to_string(i) +
                              "] was resized or reallocated while the gradients were converted");
      const auto a = py::reinterpret_borrow<py::array>(g);
      const auto* begin = static_cast<const char*>(a.data());
      if (table_.overlaps(begin, begin + a.nbytes()))
        throw py::value_error("grads[" + std::to_string(i) +
                              "] shares memory with a parameter or an optimizer state");
      DType dtype;
      dtype_of(a, &dtype);  // matches() found one
      pointers[static_cast<std::size_t>(i)] = {begin, dtype};
    }
    step_with(hypers, pointers);
  }

  // ---- The torch adapter's path (fusedopt/torch.py), see TorchBinding:
  // build (use_torch, add_params_torch, bind_torch, seal_torch), then step.
  void use_torch(const py::object& tensor_base, const py::object& storage_base,
                 const py::tuple& dtypes, py::object strided) {
    Busy busy(busy_);
    if (table_.count() > 0) throw py::value_error("internal: use_torch() after parameters");
    torch_ = std::make_unique<TorchBinding>(tensor_base, storage_base, dtypes, std::move(strided));
  }

  void add_params_torch(const py::list& params, int group) {
    Busy busy(busy_);
    torch().add_params(table_, params, group);
  }

  // Parameter i's state tensors, by name: (name, tensor, live) per buffer,
  // torch's float32 'step' tensor (None when the algorithm keeps none) with
  // the count it holds, and (name, tensor, live) per scalar state
  // (TorchBinding::bind).
  void bind_torch(std::int64_t i, const std::vector<std::tuple<std::string, py::object, bool>>& buffers,
                  const py::object& step, std::int64_t count,
                  const std::vector<std::tuple<std::string, py::object, bool>>& scalars) {
    Busy busy(busy_);
    check_index(i);
    std::vector<std::tuple<int, py::object, bool>> indexed;
    for (const auto& [name, tensor, live] : buffers) indexed.emplace_back(state_index(name), tensor, live);
    std::vector<ScalarTensor> scalar_tensors;
    for (const auto& [name, tensor, live] : scalars) {
      const int k = scalar_index(name);
      scalar_tensors.push_back({k, static_cast<int>(names_.size()) + k, tensor, live});
    }
    torch().bind(table_, i, indexed, step, count, scalar_tensors, labels_);
  }

  void seal_torch() {
    Busy busy(busy_);
    torch().seal(labels_);
  }

  // One step over torch tensors, or, changing nothing, a report of what the
  // adapter must do first (TorchBinding::prepare_step).
  py::object step_torch(const py::list& groups, const py::list& hypers, const py::list& converted) {
    Busy busy(busy_);
    std::vector<const void*> pointers;
    // Own every gradient until the kernels are done: with the GIL released,
    // another thread could set p.grad = None and free it.
    std::vector<py::object> held;
    py::object report = torch().prepare_step(groups, converted, labels_, pointers, held);
    if (!report.is_none()) return report;
    // torch gives a gradient its parameter's dtype.
    std::vector<GradRef> grads(pointers.size());
    for (std::size_t i = 0; i < pointers.size(); ++i)
      grads[i] = {pointers[i], table_.dtype(static_cast<std::int64_t>(i))};
    step_with(hypers, grads);
    return report;
  }

  // Parameter i's live state: name -> a 0-d array holding a scalar state's
  // value (a copy), then name -> array viewing the C++ buffer.
  py::dict state(py::object self, std::int64_t i) {
    Busy busy(busy_);
    check_index(i);
    py::dict out;
    for (int k = 0; k < static_cast<int>(scalar_names_.size()); ++k) {
      if (!table_.scalar_live(i, k)) continue;
      out[py::str(scalar_names_[k])] = scalar_array(table_.scalar_dtype(i, k), table_.scalar(i, k));
    }
    for (int k = 0; k < static_cast<int>(names_.size()); ++k) {
      if (!table_.live(i, k)) continue;
      out[py::str(names_[k])] =
          py::array(numpy_dtype(table_.state_dtype(i, k)), shapes_[i], table_.state(i, k), self);
    }
    return out;
  }

  std::int64_t get_step(std::int64_t i) {
    Busy busy(busy_);
    check_index(i);
    return table_.step(i);
  }

  // Replaces every parameter's state at once (load_state_dict): steps[i] and
  // arrays[i] (name -> array) for parameter i. Python has checked the arrays
  // and cast them to the parameter's dtype and shape (a scalar state: one
  // float32 or float64 element, kept in that type); state a dict does not
  // name is dropped, as torch's load_state_dict replaces state. Everything
  // is checked before the first buffer is written, under one Busy: a
  // concurrent step sees the state before or after the load, never a mix.
  void load_state(const std::vector<std::int64_t>& steps, const py::list& arrays) {
    Busy busy(busy_);
    const std::int64_t n = table_.count();
    if (static_cast<std::int64_t>(steps.size()) != n ||
        static_cast<std::int64_t>(arrays.size()) != n)
      throw py::value_error("internal: one state per parameter expected");
    // Per parameter and state name: the array to copy, or null (drop the state).
    std::vector<std::vector<py::object>> sources(static_cast<std::size_t>(n));
    // Per parameter and scalar state: its value and type, or none (dropped).
    struct Loaded {
      bool present = false;
      DType dtype = DType::f32;
      double value = 0.0;
    };
    std::vector<std::vector<Loaded>> scalars(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i) {
      const auto named = arrays[static_cast<std::size_t>(i)].cast<py::dict>();
      auto& loaded = scalars[static_cast<std::size_t>(i)];
      for (const std::string& name : scalar_names_) {
        Loaded& scalar = loaded.emplace_back();
        if (!named.contains(name)) continue;
        auto a = named[py::str(name)].cast<py::array>();
        if (a.size() != 1 || !dtype_of(a, &scalar.dtype) || !usable(a))
          throw py::value_error("internal: scalar state '" + name + "' was not prepared");
        scalar.present = true;
        scalar.value = a.attr("item")().cast<double>();
      }
      auto& source = sources[static_cast<std::size_t>(i)];
      for (int k = 0; k < static_cast<int>(names_.size()); ++k) {
        const std::string& name = names_[static_cast<std::size_t>(k)];
        source.emplace_back();
        if (!named.contains(name)) continue;
        auto a = named[py::str(name)].cast<py::array>();
        if (a.size() != table_.size(i) || !is_dtype(a, table_.state_dtype(i, k)) || !usable(a))
          throw py::value_error("internal: state '" + name + "' was not prepared");
        source.back() = std::move(a);
      }
    }
    // Allocate first (invisible: a buffer that is not live reads as absent),
    // so that the copies below cannot fail halfway.
    for (std::int64_t i = 0; i < n; ++i)
      for (int k = 0; k < static_cast<int>(names_.size()); ++k)
        if (sources[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)])
          table_.ensure_state(i, k, 0.0);
    for (std::int64_t i = 0; i < n; ++i) {
      for (int k = 0; k < static_cast<int>(names_.size()); ++k) {
        const auto& source = sources[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)];
        if (!source) {
          table_.drop_state(i, k);
          continue;
        }
        const auto a = py::reinterpret_borrow<py::array>(source);
        // memmove: the source may be a view of this very buffer.
        if (a.nbytes() > 0) std::memmove(table_.ensure_state(i, k, 0.0), a.data(), a.nbytes());
        table_.set_live(i, k, true);
      }
      table_.set_step(i, steps[static_cast<std::size_t>(i)]);
      for (int k = 0; k < static_cast<int>(scalar_names_.size()); ++k) {
        const Loaded& scalar = scalars[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)];
        if (scalar.present)
          table_.set_scalar(i, k, scalar.value, scalar.dtype);
        else
          table_.drop_scalar(i, k);
      }
    }
  }

 private:
  // C-contiguous and aligned: what the kernels may dereference as T*.
  static bool usable(const py::array& a) {
    return (a.flags() & py::array::c_style) &&
           (a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_);
  }

  // The user may have made the array read-only, or resized it (which moves
  // its memory) since it was registered.
  void check_param_unchanged(std::int64_t i) const {
    const py::array& p = params_[i];
    if (!p.writeable())
      throw py::value_error("params[" + std::to_string(i) + "] has become read-only");
    if (p.data() != table_.data(i) || static_cast<std::int64_t>(p.size()) != table_.size(i))
      throw py::value_error("params[" + std::to_string(i) +
                            "] was resized or reallocated since the optimizer was built");
  }

  // param_groups still holds the registered arrays, group by group. Python
  // checked the structure (with messages) before the conversions; this checks
  // it again after them, by type checks and pointer comparisons, no Python
  // code (PyDict_GetItemString calls no __getitem__ or __eq__ of the user's).
  void check_groups(const py::list& param_groups) const {
    const auto changed = [] {
      return py::value_error("param_groups changed while the gradients were converted");
    };
    if (param_groups.size() != group_sizes_.size()) throw changed();
    std::size_t i = 0;
    for (std::size_t k = 0; k < group_sizes_.size(); ++k) {
      PyObject* group = param_groups[k].ptr();
      PyObject* list = PyDict_Check(group) ? PyDict_GetItemString(group, "params") : nullptr;
      if (!list || !PyList_Check(list) || PyList_GET_SIZE(list) != group_sizes_[k])
        throw changed();
      for (py::ssize_t j = 0; j < group_sizes_[k]; ++j, ++i)
        if (PyList_GET_ITEM(list, j) != params_[i].ptr())
          throw py::value_error(
              "param_groups[" + std::to_string(k) + "]['params'][" + std::to_string(j) +
              "] is not the array the optimizer was built with (params[" + std::to_string(i) +
              "]); fusedopt updates the arrays it was given: to train other arrays, use "
              "add_param_group or a new optimizer");
    }
  }

  // Whether the kernels can read g as parameter i's gradient as it is: its
  // shape, C-contiguous, aligned, and of a type the kernels take with the
  // parameter's (grad_dtype).
  bool matches(py::handle g, std::int64_t i) const {
    if (!py::isinstance<py::array>(g)) return false;
    auto a = py::reinterpret_borrow<py::array>(g);
    DType dtype;
    if (!usable(a) || !dtype_of(a, &dtype) || !grad_type_fits(i, dtype)) return false;
    const auto& shape = shapes_[i];
    if (a.ndim() != static_cast<py::ssize_t>(shape.size())) return false;
    for (std::size_t d = 0; d < shape.size(); ++d)
      if (a.shape(static_cast<py::ssize_t>(d)) != shape[d]) return false;
    return true;
  }

  // A gradient of type `dtype` for parameter i: the parameter's own type,
  // or any other the kernels mix with it and its state (float64 mixes with
  // nothing).
  bool grad_type_fits(std::int64_t i, DType dtype) const {
    const DType param = table_.dtype(i);
    if (dtype == param) return true;
    if (dtype == DType::f64 || param == DType::f64) return false;
    for (int k = 0; k < static_cast<int>(names_.size()); ++k)
      if (table_.state_dtype(i, k) == DType::f64) return false;
    return true;
  }

  TorchBinding& torch() {
    if (!torch_) throw py::value_error("internal: use_torch() was not called");
    return *torch_;
  }

  void check_index(std::int64_t i) const {
    if (i < 0 || i >= table_.count())
      throw py::index_error("parameter index " + std::to_string(i) + " out of range");
  }

  // One step with the groups' hyperparameters (one dict per group) and the
  // gradients (data nullptr: no gradient).
  void step_with(const py::list& hypers, const std::vector<GradRef>& grads) {
    algo_->read(hypers);
    for (std::int64_t i = 0; i < table_.count(); ++i)
      if (table_.group(i) >= algo_->groups())
        throw py::value_error("internal: missing hyperparameters for a group");
    py::gil_scoped_release release;
    algo_->run(table_, grads.data());
  }

  int state_index(const std::string& name) const {
    for (int k = 0; k < static_cast<int>(names_.size()); ++k)
      if (names_[k] == name) return k;
    throw py::value_error("unknown state '" + name + "'");
  }

  int scalar_index(const std::string& name) const {
    for (int k = 0; k < static_cast<int>(scalar_names_.size()); ++k)
      if (scalar_names_[k] == name) return k;
    throw py::value_error("unknown scalar state '" + name + "'");
  }

  std::unique_ptr<Algorithm> algo_;
  std::vector<std::string> names_;         // state buffers, by index
  std::vector<std::string> scalar_names_;  // scalar states, by index
  std::vector<std::string> labels_;        // both, for messages (TorchMemory's `what`)
  ParamTable table_;
  std::vector<py::array> params_;  // keeps the user's arrays alive
  std::vector<std::vector<py::ssize_t>> shapes_;
  std::vector<std::int64_t> group_sizes_;  // NumPy path: parameters per group
  std::unique_ptr<TorchBinding> torch_;
  std::atomic<bool> busy_{false};
};

}  // namespace

// For the tests: how the kernels run buffers of these types ("f32", "f64",
// "bf16", "f16", or "mixed": float32 tiles), or None when they cannot.
py::object storage_combination(const std::string& param, const std::string& grad,
                               const std::vector<std::string>& states) {
  const auto parse = [](const std::string& name) {
    for (DType d : kDtypes)
      if (name == dtype_name(d)) return d;
    throw py::value_error("unknown dtype '" + name + "'");
  };
  std::vector<DType> types;
  for (const std::string& name : states) types.push_back(parse(name));
  StoragePlan plan;
  if (!storage_for(parse(param), parse(grad), types.data(), static_cast<int>(types.size()), &plan))
    return py::none();
  if (plan.mixed) return py::str("mixed");
  switch (plan.storage) {
    case Storage::f32:
      return py::str("f32");
    case Storage::f64:
      return py::str("f64");
    case Storage::bf16:
      return py::str("bf16");
    case Storage::f16:
      return py::str("f16");
  }
  std::abort();
}

void register_optim(py::module_& m) {
  m.def("optimizers", &describe_optimizers);
  m.def("use_bfloat16", &use_bfloat16, py::arg("dtype"));
  m.def("storage_combination", &storage_combination, py::arg("param"), py::arg("grad"),
        py::arg("states"));
  py::class_<Core>(m, "OptimizerCore")
      .def(py::init<const std::string&>(), py::arg("algo"))
      .def("states_for", &Core::states_for, py::arg("hyper"))
      .def("scalars_for", &Core::scalars_for, py::arg("hyper"))
      .def("add_params", &Core::add_params, py::arg("params"), py::arg("group"), py::arg("hyper"))
      .def("step", &Core::step, py::arg("param_groups"), py::arg("grads"), py::arg("hypers"),
           py::arg("coerce"))
      .def(
          "state", [](py::object self, std::int64_t i) { return self.cast<Core&>().state(self, i); },
          py::arg("index"))
      .def("get_step", &Core::get_step, py::arg("index"))
      .def("load_state", &Core::load_state, py::arg("steps"), py::arg("arrays"))
      .def("use_torch", &Core::use_torch, py::arg("tensor_base"), py::arg("storage_base"),
           py::arg("dtypes"), py::arg("strided"))
      .def("add_params_torch", &Core::add_params_torch, py::arg("params"), py::arg("group"))
      .def("bind_torch", &Core::bind_torch, py::arg("index"), py::arg("buffers"), py::arg("step"),
           py::arg("count"), py::arg("scalars"))
      .def("seal_torch", &Core::seal_torch)
      .def("step_torch", &Core::step_torch, py::arg("groups"), py::arg("hypers"),
           py::arg("converted"));
}

}  // namespace fusedopt::bindings

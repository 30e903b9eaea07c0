// What fo.minimize's solvers share on the Python side: their options read
// from a dict by name, the result dict, and the exports Python reads its
// defaults and status messages from (_core.solver_defaults, status_messages).
#include <pybind11/pybind11.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "register.hpp"
#include "solver_options.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

// The solvers by fo.minimize's canonical method name, each with its options type.
template <class O>
struct Method {
  using Options = O;
  const char* name;
};
constexpr Method<LbfgsOptions> kLbfgs{"lbfgs"};
constexpr Method<SolverOptions> kNewton{"newton"};
constexpr Method<NewtonCgOptions> kNewtonCg{"newton-cg"};

template <class Visit>
auto with_method(const std::string& name, Visit&& visit) {
  if (name == kLbfgs.name) return visit(kLbfgs);
  if (name == kNewton.name) return visit(kNewton);
  if (name == kNewtonCg.name) return visit(kNewtonCg);
  throw py::value_error("method must be 'lbfgs', 'newton' or 'newton-cg', got '" + name + "'");
}

// ---------------------------------------------------------------- Python -> C++
bool isinstance_of_numpy(py::handle value, const char* type) {
  return py::isinstance(value, py::module_::import("numpy").attr(type));
}
bool is_bool(py::handle v) { return PyBool_Check(v.ptr()) || isinstance_of_numpy(v, "bool_"); }
bool is_int(py::handle v) {
  return !is_bool(v) && (PyLong_Check(v.ptr()) || isinstance_of_numpy(v, "integer"));
}
bool is_real(py::handle v) {
  return is_int(v) || PyFloat_Check(v.ptr()) || isinstance_of_numpy(v, "floating");
}

std::string must_be(const char* name, const std::string& what, py::handle value) {
  return std::string(name) + " must be " + what + ", got " + py::repr(value).cast<std::string>();
}

// Each reader converts a Python value into the field's type; a value of
// another type is refused with the check's what(). The range is the check's
// business (the solvers run it), except where the value cannot be held at all.
template <class Check>
void read(py::handle value, const char* name, std::int64_t& out, const Check& check) {
  if (!is_int(value)) throw py::value_error(must_be(name, check.what(), value));
  const py::object index = py::reinterpret_steal<py::object>(PyNumber_Index(value.ptr()));
  if (!index) throw py::error_already_set();
  int overflow = 0;
  const long long v = PyLong_AsLongLongAndOverflow(index.ptr(), &overflow);
  if (overflow != 0) throw py::value_error(must_be(name, check.what(), value));
  out = v;
}

template <class Check>
void read(py::handle value, const char* name, double& out, const Check& check) {
  if (!is_real(value)) throw py::value_error(must_be(name, check.what(), value));
  const double v = PyFloat_AsDouble(value.ptr());
  if (v == -1.0 && PyErr_Occurred()) {  // an int beyond float64
    PyErr_Clear();
    throw py::value_error(must_be(name, check.what(), value));
  }
  out = v;
}

void read(py::handle value, const char* name, bool& out, const option::Flag& check) {
  if (!is_bool(value)) throw py::type_error(must_be(name, check.what(), value));
  out = PyObject_IsTrue(value.ptr()) == 1;
}

void read(py::handle value, const char* name, std::optional<std::int64_t>& out,
          const option::OptionalIntIn& check) {
  if (value.is_none()) {
    out.reset();
    return;
  }
  std::int64_t v = 0;
  read(value, name, v, check);
  out = v;
}

void read(py::handle value, const char* name, std::optional<LineSearchKind>& out,
          const option::LineSearch& check) {
  if (value.is_none()) {
    out.reset();
    return;
  }
  if (py::isinstance<py::str>(value)) {
    const auto given = value.cast<std::string>();
    for (const auto& [option, kind] : kLineSearchNames)
      if (given == option) {
        out = kind;
        return;
      }
  }
  throw py::value_error(must_be(name, check.what(), value));
}

std::string python_list(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  std::string out = "[";
  for (const auto& item : items) out += (out.size() > 1 ? ", " : "") + item;
  return out + "]";
}

// Every key of `given` must name a field of Options.
template <class Options>
void check_names(const py::dict& given, const char* method) {
  std::vector<std::string> names;
  Options defaults;
  Options::fields(defaults, [&](const char* name, auto&, auto&&) { names.push_back(name); });
  std::vector<std::string> unknown, valid;
  for (const auto& item : given) {
    const bool known = py::isinstance<py::str>(item.first) &&
                       std::find(names.begin(), names.end(),
                                 item.first.cast<std::string>()) != names.end();
    if (!known) unknown.push_back(py::repr(item.first).cast<std::string>());
  }
  if (unknown.empty()) return;
  for (const auto& name : names) valid.push_back("'" + name + "'");
  throw py::value_error("unknown options " + python_list(unknown) + " for method='" + method +
                        "'; valid options are " + python_list(valid));
}

template <class Options>
Options read_options(const py::dict& given, Method<Options> method) {
  check_names<Options>(given, method.name);
  Options options;
  Options::fields(options, [&](const char* name, auto& field, const auto& check) {
    if (given.contains(name)) read(given[name], name, field, check);
  });
  return options;
}

// ---------------------------------------------------------------- C++ -> Python
py::object to_python(std::int64_t v) { return py::int_(v); }
py::object to_python(double v) { return py::float_(v); }
py::object to_python(bool v) { return py::bool_(v); }
py::object to_python(const std::optional<std::int64_t>& v) {
  return v ? to_python(*v) : py::none();
}
py::object to_python(const std::optional<LineSearchKind>& v) {
  if (!v) return py::none();
  for (const auto& [name, kind] : kLineSearchNames)
    if (kind == *v) return py::str(name);
  return py::none();  // unreachable: every kind is named
}

py::dict solver_defaults(const std::string& method) {
  return with_method(method, [](auto m) {
    using Options = typename decltype(m)::Options;
    py::dict out;
    const Options defaults;
    Options::fields(defaults, [&](const char* name, const auto& field, auto&&) {
      out[name] = to_python(field);
    });
    return out;
  });
}

py::dict status_messages() {
  py::dict out;
  for (const SolverStatus status : kSolverStatuses)
    out[py::int_(static_cast<int>(status))] = status_message(status);
  return out;
}

}  // namespace

LbfgsOptions read_lbfgs_options(const py::dict& options, py::handle l1, py::handle step_scale) {
  LbfgsOptions out = read_options(options, kLbfgs);
  py::dict given;
  given["l1"] = l1;
  given["step_scale"] = step_scale;
  LbfgsOptions::arguments(out, [&](const char* name, auto& field, const auto& check) {
    read(given[name], name, field, check);
  });
  return out;
}

SolverOptions read_newton_options(const py::dict& options) {
  return read_options(options, kNewton);
}

NewtonCgOptions read_newton_cg_options(const py::dict& options) {
  return read_options(options, kNewtonCg);
}

py::dict result_dict(const SolverResult& result, const Shape& shape, std::int64_t n) {
  py::dict out;
  out["fun"] = result.f;
  out["jac"] = user_x(result.g.data(), shape, n);
  out["nit"] = result.nit;
  out["nfev"] = result.nfev;
  out["nhev"] = result.nhev;
  out["status"] = static_cast<int>(result.status);
  out["success"] = converged(result.status);
  out["message"] = result.message;
  return out;
}

void register_solver(py::module_& m) {
  m.def("solver_defaults", &solver_defaults, py::arg("method"),
        "The default options of fo.minimize's method ('lbfgs', 'newton' or 'newton-cg').");
  m.def("status_messages", &status_messages,
        "fo.minimize's status codes and their messages; success is status 0 or 1.");
}

}  // namespace fusedopt::bindings

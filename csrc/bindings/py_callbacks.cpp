#include "py_callbacks.hpp"

#include <algorithm>
#include <cstring>

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

bool same_shape(const py::array& a, const Shape& shape) {
  return a.ndim() == static_cast<py::ssize_t>(shape.size()) &&
         std::equal(shape.begin(), shape.end(), a.shape());
}

// A native float64 C-contiguous array: its buffer can be read as double[].
bool plain_float64(py::handle g) {
  if (!py::isinstance<py::array>(g)) return false;
  const auto* proxy = py::detail::array_proxy(g.ptr());
  const auto* descr = py::detail::array_descriptor_proxy(proxy->descr);
  const auto flags = py::reinterpret_borrow<py::array>(g).flags();
  return descr->type_num == py::detail::npy_api::NPY_DOUBLE_ && descr->byteorder != '>' &&
         (flags & py::array::c_style) && (flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_);
}

// As Python prints a shape: (), (3,), (2, 3).
template <class Dims>
std::string shape_text(const Dims& dims, std::size_t ndim) {
  std::string out = "(";
  for (std::size_t d = 0; d < ndim; ++d)
    out += (d ? ", " : "") + std::to_string(dims[d]);
  return out + (ndim == 1 ? ",)" : ")");
}

std::string shape_text(const py::array& a) {
  return shape_text(a.shape(), static_cast<std::size_t>(a.ndim()));
}

std::string shape_text(const Shape& shape) { return shape_text(shape, shape.size()); }

bool real_kind(char kind) { return kind == 'f' || kind == 'i' || kind == 'u' || kind == 'b'; }

// What a value is, for an error message: "None", "an array of dtype
// complex128", "a str ('abc')", "an int (1000...)".
std::string describe(py::handle value) {
  if (value.is_none()) return "None";
  if (py::isinstance<py::array>(value))
    return "an array of dtype " + py::str(value.attr("dtype")).cast<std::string>();
  const std::string type = Py_TYPE(value.ptr())->tp_name;
  std::string text = py::repr(value).cast<std::string>();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  const bool vowel = std::string("aeiou").find(type[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + type + " (" + text + ")";
}

}  // namespace

py::array_t<double> user_x(const double* x, const Shape& shape, std::int64_t n) {
  py::array_t<double> out(shape);
  if (n > 0) std::memcpy(out.mutable_data(), x, static_cast<std::size_t>(n) * sizeof(double));
  return out;
}

void read_array(py::handle value, const Shape& shape, std::int64_t n, double* out,
                const std::string& what) {
  if (plain_float64(value)) {  // the common case, without conversions
    const auto arr = py::reinterpret_borrow<py::array>(value);
    if (same_shape(arr, shape)) {
      if (n > 0) std::memcpy(out, arr.data(), static_cast<std::size_t>(n) * sizeof(double));
      return;
    }
  }
  const py::array any = py::array::ensure(value);
  if (!any || !real_kind(any.dtype().kind()))
    throw py::type_error(what + " that is " + describe(value) + "; expected a real array of " +
                         "x0's shape " + shape_text(shape));
  auto arr = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(any);
  if (!same_shape(arr, shape))
    throw py::value_error(what + " of shape " + shape_text(arr) + "; expected x0's shape " +
                          shape_text(shape));
  if (n > 0) std::memcpy(out, arr.data(), static_cast<std::size_t>(n) * sizeof(double));
}

double read_scalar(py::handle value, const std::string& what) {
  if (PyFloat_Check(value.ptr())) return PyFloat_AS_DOUBLE(value.ptr());  // the common case
  if (PyLong_Check(value.ptr())) {
    const double f = PyLong_AsDouble(value.ptr());
    if (f == -1.0 && PyErr_Occurred()) {
      PyErr_Clear();
      throw py::value_error(what + " that is " + describe(value) +
                            ", too large for a float64; expected a real number");
    }
    return f;
  }
  const py::array any = py::array::ensure(value);
  if (!any || !real_kind(any.dtype().kind()))
    throw py::type_error(what + " that is " + describe(value) +
                         "; expected a real number (a float, or an array of size 1)");
  if (any.size() != 1)
    throw py::value_error(what + " of shape " + shape_text(any) +
                          "; expected a real number (a float, or an array of size 1)");
  return py::array_t<double, py::array::forcecast>::ensure(any).data()[0];
}

Objective python_objective(const py::object& fun, const py::tuple& args, const Shape& shape,
                           std::int64_t n, const std::string& gradient_from) {
  return [&fun, &args, shape, n, gradient_from](const double* xp, double* gp) -> double {
    py::gil_scoped_acquire gil;
    const py::object r =
        args.empty() ? fun(user_x(xp, shape, n)) : fun(user_x(xp, shape, n), *args);
    if (!PyTuple_Check(r.ptr()) || PyTuple_GET_SIZE(r.ptr()) != 2)
      throw py::value_error("fun must return a pair (f, g) when jac=True; it returned " +
                            describe(r));
    read_array(PyTuple_GET_ITEM(r.ptr(), 1), shape, n, gp, gradient_from + " returned a gradient");
    return read_scalar(PyTuple_GET_ITEM(r.ptr(), 0), "fun returned f");
  };
}

IterationCallback python_callback(const py::object& callback, const Shape& shape,
                                  std::int64_t n) {
  if (callback.is_none()) return {};
  return [&callback, shape, n](const double* xp, double) -> bool {
    py::gil_scoped_acquire gil;
    try {
      callback(user_x(xp, shape, n));
    } catch (py::error_already_set& e) {
      if (e.matches(PyExc_StopIteration)) return true;
      throw;
    }
    return false;
  };
}

py::array_t<double> solver_x(const py::array& x) {
  if (!py::isinstance<py::array_t<double>>(x) || !(x.flags() & py::array::c_style) ||
      !x.writeable())
    throw py::type_error("internal: x must be a writeable C-contiguous float64 array");
  return py::reinterpret_borrow<py::array_t<double>>(x);
}

}  // namespace fusedopt::bindings

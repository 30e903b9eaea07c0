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

std::string shape_text(const py::array& a) {
  std::string out = "(";
  for (py::ssize_t d = 0; d < a.ndim(); ++d) out += std::to_string(a.shape(d)) + ",";
  return out + ")";
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
  const char kind = any ? any.dtype().kind() : 'O';
  if (kind != 'f' && kind != 'i' && kind != 'u' && kind != 'b')
    throw py::value_error(what + " that is not a real array (dtype kind '" +
                          std::string(1, kind) + "')");
  auto arr = py::array_t<double, py::array::c_style | py::array::forcecast>::ensure(any);
  if (!same_shape(arr, shape))
    throw py::value_error(what + " of shape " + shape_text(arr) + " but x0 has " +
                          std::to_string(shape.size()) +
                          " dimensions of a different shape; it must have x0's shape");
  if (n > 0) std::memcpy(out, arr.data(), static_cast<std::size_t>(n) * sizeof(double));
}

Objective python_objective(const py::object& fun, const py::tuple& args, const Shape& shape,
                           std::int64_t n) {
  return [&fun, &args, shape, n](const double* xp, double* gp) -> double {
    py::gil_scoped_acquire gil;
    const py::object r =
        args.empty() ? fun(user_x(xp, shape, n)) : fun(user_x(xp, shape, n), *args);
    if (!PyTuple_Check(r.ptr()) || PyTuple_GET_SIZE(r.ptr()) != 2)
      throw py::value_error("fun must return a pair (f, g) when jac=True");
    read_array(PyTuple_GET_ITEM(r.ptr(), 1), shape, n, gp, "fun returned a gradient");
    return py::handle(PyTuple_GET_ITEM(r.ptr(), 0)).cast<double>();
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

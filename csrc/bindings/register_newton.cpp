// fusedopt._core.newton_minimize and newton_cg_minimize: the C++ Newton outer
// loop (fusedopt/newton.hpp) with the GIL released, taking it back only to
// call the user's fun, hessp and callback, and (exact Newton) the Python step
// that factors the Hessian with LAPACK; options are read by solver_options.hpp
// and checked by the solvers (SolverOptions / NewtonCgOptions::validate).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <string>

#include "fusedopt/newton.hpp"
#include "py_callbacks.hpp"
#include "register.hpp"
#include "solver_options.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

// step(x, g) -> (s, d or None, d'Hd) on flat float64 arrays: fusedopt's own
// Python code (minimize.py), so its arrays are read without user-facing checks.
NewtonStepFn python_step(const py::object& step, std::int64_t n) {
  const Shape flat{static_cast<py::ssize_t>(n)};
  return [&step, flat, n](const double* x, const double* g, double* s, double* d) {
    py::gil_scoped_acquire gil;
    const py::tuple r = step(user_x(x, flat, n), user_x(g, flat, n));
    read_array(r[0], flat, n, s, "internal: the Newton step");
    NewtonStep out;
    if (!r[1].is_none()) {
      read_array(r[1], flat, n, d, "internal: the direction of negative curvature");
      out.negative_curvature = true;
      out.curvature = r[2].cast<double>();
    }
    return out;
  };
}

py::dict newton_minimize(const py::object& fun, const py::array& x_array, const Shape& shape,
                         const py::tuple& args, const py::dict& options, const py::object& step,
                         const py::object& callback, const std::string& gradient_from) {
  auto x = solver_x(x_array);
  const auto n = static_cast<std::int64_t>(x.size());
  const SolverOptions params = read_newton_options(options);
  const Objective objective = python_objective(fun, args, shape, n, gradient_from);
  const IterationCallback on_iteration = python_callback(callback, shape, n);
  const NewtonStepFn step_fn = python_step(step, n);
  SolverResult result;
  {
    py::gil_scoped_release release;
    result = minimize_newton(objective, x.mutable_data(), n, params, step_fn, on_iteration);
  }
  return result_dict(result, shape, n);
}

// hessp(x, p, *args) at the iterate `at` last saw: one fresh x array per outer
// iteration (so a caching hessp can recognise it by identity).
struct PythonProducts {
  PythonProducts(const py::object& hessp, const py::tuple& args, const Shape& shape,
                 std::int64_t n)
      : hessp(hessp), args(args), shape(shape), n(n) {}

  void at(const double* xp) {
    py::gil_scoped_acquire gil;
    x = user_x(xp, shape, n);
  }

  void times(const double* p, double* hp) {
    py::gil_scoped_acquire gil;
    const py::object r = hessp(x, user_x(p, shape, n), *args);
    read_array(r, shape, n, hp, "hessp(x, p) returned H p");
    for (std::int64_t i = 0; i < n; ++i)
      if (!std::isfinite(hp[i])) throw py::value_error("hessp(x, p) returned NaN or inf");
  }

  const py::object& hessp;
  const py::tuple& args;
  const Shape shape;
  const std::int64_t n;
  py::object x;
};

py::dict newton_cg_minimize(const py::object& fun, const py::array& x_array, const Shape& shape,
                            const py::tuple& args, const py::dict& options,
                            const py::object& hessp, bool per_product,
                            const py::object& callback, const std::string& gradient_from) {
  auto x = solver_x(x_array);
  const auto n = static_cast<std::int64_t>(x.size());
  const NewtonCgOptions params = read_newton_cg_options(options);
  const Objective objective = python_objective(fun, args, shape, n, gradient_from);
  const IterationCallback on_iteration = python_callback(callback, shape, n);
  PythonProducts python(hessp, args, shape, n);
  HessianProducts products;
  products.at = [&python](const double* xp) { python.at(xp); };
  products.times = [&python](const double* p, double* hp) { python.times(p, hp); };
  products.per_product = per_product;
  SolverResult result;
  {
    py::gil_scoped_release release;
    result = minimize_newton_cg(objective, x.mutable_data(), n, params,
                                hessp.is_none() ? nullptr : &products, on_iteration);
  }
  return result_dict(result, shape, n);
}

}  // namespace

void register_newton(py::module_& m) {
  m.def("newton_minimize", &newton_minimize, py::arg("fun"), py::arg("x"), py::arg("shape"),
        py::arg("args"), py::arg("options"), py::arg("step"), py::arg("callback"),
        py::arg("gradient_from") = "fun",
        "Exact Newton; step(x, g) -> (s, d or None, d'Hd) factors the Hessian. x (float64, "
        "C-contiguous) holds the result.");
  m.def("newton_cg_minimize", &newton_cg_minimize, py::arg("fun"), py::arg("x"),
        py::arg("shape"), py::arg("args"), py::arg("options"), py::arg("hessp"),
        py::arg("per_product"), py::arg("callback"), py::arg("gradient_from") = "fun",
        "Truncated Newton-CG; hessp(x, p, *args) -> H p, or None for forward differences of "
        "the gradient. x (float64, C-contiguous) holds the result.");
}

}  // namespace fusedopt::bindings

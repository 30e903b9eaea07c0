#pragma once
// The user's Python functions as the C++ solvers call them (L-BFGS and
// Newton): each takes the GIL only for the call, hands the function a fresh
// array of x0's shape, and reads the arrays it returns into the solver's
// buffers, checking their shape.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>
#include <vector>

#include "fusedopt/objective.hpp"

namespace fusedopt::bindings {

using Shape = std::vector<pybind11::ssize_t>;

// A fresh float64 array of `shape` holding x[0:n].
pybind11::array_t<double> user_x(const double* x, const Shape& shape, std::int64_t n);

// Copies the array `value` (converted to float64 if needed) into out; its
// shape must be `shape`. `what` starts the errors, e.g. "fun returned a
// gradient" (TypeError: not a real array, ValueError: another shape).
void read_array(pybind11::handle value, const Shape& shape, std::int64_t n, double* out,
                const std::string& what);

// `value` as a double: a real number, or a real array of size 1 (as scipy
// takes f). `what` starts the errors, e.g. "fun returned f".
double read_scalar(pybind11::handle value, const std::string& what);

// fun(x, *args) -> (f, g) as a fusedopt::Objective; `gradient_from` names
// who computes g in errors ("fun", or "jac" when fun pairs f with jac(x)).
Objective python_objective(const pybind11::object& fun, const pybind11::tuple& args,
                           const Shape& shape, std::int64_t n,
                           const std::string& gradient_from = "fun");

// callback(x) as an IterationCallback (StopIteration -> stop); empty if None.
IterationCallback python_callback(const pybind11::object& callback, const Shape& shape,
                                  std::int64_t n);

// Checks that x is the caller's writeable float64 C-contiguous buffer (the
// solvers write the result into it, never into a copy).
pybind11::array_t<double> solver_x(const pybind11::array& x);

}  // namespace fusedopt::bindings

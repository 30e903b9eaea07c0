#pragma once
// The interface between the quasi-Newton solvers and the function they minimize.
#include <cstdint>
#include <functional>

namespace fusedopt {

// Fills g (n values) with the gradient at x and returns f(x). May throw: the
// exception propagates out of the solver unchanged.
using Objective = std::function<double(const double* x, double* g)>;

// Called after each iteration with the new iterate; returns true to stop.
using IterationCallback = std::function<bool(const double* x, double f)>;

}  // namespace fusedopt

#pragma once
// fo.minimize's options dict read into the solvers' options structs by the
// names each struct's fields() lists (fusedopt/solver.hpp, lbfgs.hpp,
// newton.hpp). Reading converts each value from Python, rejecting a wrong type
// or an unknown name with a message that names the option; the ranges are the
// structs' validate(), which the solvers run. Also the result dict every
// solver returns.
#include <pybind11/pybind11.h>

#include <cstdint>

#include "fusedopt/lbfgs.hpp"
#include "fusedopt/newton.hpp"
#include "py_callbacks.hpp"

namespace fusedopt::bindings {

// l1 and step_scale are fo.minimize arguments of their own (Python numbers).
LbfgsOptions read_lbfgs_options(const pybind11::dict& options, pybind11::handle l1,
                                pybind11::handle step_scale);
SolverOptions read_newton_options(const pybind11::dict& options);
NewtonCgOptions read_newton_cg_options(const pybind11::dict& options);

// fun, jac (x0's shape), nit, nfev, nhev, status, success, message.
pybind11::dict result_dict(const SolverResult& result, const Shape& shape, std::int64_t n);

}  // namespace fusedopt::bindings

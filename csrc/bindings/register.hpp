#pragma once
#include <pybind11/pybind11.h>

namespace fusedopt::bindings {

void register_info(pybind11::module_& m);
void register_optim(pybind11::module_& m);
void register_regularizers(pybind11::module_& m);
void register_solver(pybind11::module_& m);
void register_lbfgs(pybind11::module_& m);
void register_newton(pybind11::module_& m);
void register_roofline(pybind11::module_& m);

}  // namespace fusedopt::bindings

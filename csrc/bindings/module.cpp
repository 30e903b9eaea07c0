// fusedopt._core: the private extension. User-facing documentation and
// argument checks live in the Python package; this layer converts arrays to
// pointers and releases the GIL around the kernels.
#include <pybind11/pybind11.h>

#include "register.hpp"

#ifndef FUSEDOPT_VERSION
#define FUSEDOPT_VERSION "0+unknown"
#endif

PYBIND11_MODULE(_core, m) {
  m.doc() = "fusedopt's C++ core (private; use the fusedopt package)";
  m.attr("__version__") = FUSEDOPT_VERSION;
  fusedopt::bindings::register_info(m);
  fusedopt::bindings::register_optim(m);
  fusedopt::bindings::register_regularizers(m);
  fusedopt::bindings::register_solver(m);
  fusedopt::bindings::register_lbfgs(m);
  fusedopt::bindings::register_newton(m);
  fusedopt::bindings::register_roofline(m);
}

#pragma once
// Every optimizer the core has: FUSEDOPT_OPTIMIZERS(X) calls X(Type) once per
// declaration (fusedopt/optimizer.hpp says what one holds). The kernel table,
// the generic step and the bindings expand this list; adding an optimizer is
// its declaration, its kernel (csrc/kernels/optimizers/), one entry here and
// one include in csrc/kernels/optimizers/all.hpp.
#include "fusedopt/optimizers/adadelta.hpp"
#include "fusedopt/optimizers/adagrad.hpp"
#include "fusedopt/optimizers/adam.hpp"
#include "fusedopt/optimizers/adamax.hpp"
#include "fusedopt/optimizers/asgd.hpp"
#include "fusedopt/optimizers/lion.hpp"
#include "fusedopt/optimizers/nadam.hpp"
#include "fusedopt/optimizers/radam.hpp"
#include "fusedopt/optimizers/rmsprop.hpp"
#include "fusedopt/optimizers/rprop.hpp"
#include "fusedopt/optimizers/sgd.hpp"

#define FUSEDOPT_OPTIMIZERS(X) \
  X(Sgd)                       \
  X(Rmsprop)                   \
  X(Adam)                      \
  X(Adagrad)                   \
  X(Lion)                      \
  X(Adamax)                    \
  X(Adadelta)                  \
  X(Rprop)                     \
  X(Nadam)                     \
  X(Radam)                     \
  X(Asgd)

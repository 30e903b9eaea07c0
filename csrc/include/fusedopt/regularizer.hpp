#pragma once
// R(w) = l1 * sum|w| + l2 * sum w^2 over tensors, and its gradient
// l1 * sign(w) + 2 * l2 * w, on the active ISA build (one parallel region).
#include <vector>

#include "fusedopt/regularizer_launch.hpp"

namespace fusedopt {

// Sums in double; deterministic for a given thread count. Safe without the GIL.
double regularizer_value(const std::vector<RegSegment>& tensors, double l1, double l2);

// out = dR/dw (or out += dR/dw with accumulate) for each segment's w and out.
void regularizer_grad(const std::vector<RegSegment>& tensors, double l1, double l2,
                      bool accumulate);

}  // namespace fusedopt

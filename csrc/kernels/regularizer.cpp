#include "fusedopt/regularizer.hpp"

#include "fusedopt/dispatch.hpp"
#include "fusedopt/threads.hpp"

namespace fusedopt {
namespace {

struct Prepared {
  std::vector<std::int64_t> offsets{0};
  explicit Prepared(const std::vector<RegSegment>& tensors) {
    offsets.reserve(tensors.size() + 1);
    for (const RegSegment& s : tensors) offsets.push_back(offsets.back() + s.size);
  }
  RegLaunch launch(const std::vector<RegSegment>& tensors, double l1, double l2,
                   bool accumulate) const {
    return {tensors.data(), offsets.data(), static_cast<std::int64_t>(tensors.size()),
            threads_for(offsets.back()), l1, l2, accumulate};
  }
};

}  // namespace

double regularizer_value(const std::vector<RegSegment>& tensors, double l1, double l2) {
  const Prepared prepared(tensors);
  return kernels().regularizer_value(prepared.launch(tensors, l1, l2, false));
}

void regularizer_grad(const std::vector<RegSegment>& tensors, double l1, double l2,
                      bool accumulate) {
  const Prepared prepared(tensors);
  kernels().regularizer_grad(prepared.launch(tensors, l1, l2, accumulate));
}

}  // namespace fusedopt

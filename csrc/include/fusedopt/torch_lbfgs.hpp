#pragma once
// torch.optim.LBFGS's step() on fusedopt's L-BFGS pieces (the two-loop history
// and the per-ISA vector kernels): the same iterations, first step, curvature
// rule (y's > 1e-10), line search ("strong_wolfe": cubic interpolation with
// torch's bracketing and zoom rules, or a fixed step) and stopping tests, so
// that fusedopt.torch.LBFGS follows torch's trajectory up to rounding.
#include <cstdint>
#include <memory>

#include "fusedopt/objective.hpp"

namespace fusedopt {

// Read from the parameter group at every step, as torch does.
struct TorchLbfgsOptions {
  double lr = 1.0;
  std::int64_t max_iter = 20;
  std::int64_t max_eval = 25;
  double tolerance_grad = 1e-7;
  double tolerance_change = 1e-9;
  bool strong_wolfe = false;
};

struct TorchLbfgsStep {
  double first_loss = 0.0;  // the closure's value at the starting point
  std::int64_t n_iter = 0, func_evals = 0;
};

class TorchLbfgs {
 public:
  TorchLbfgs(std::int64_t n, int history_size);
  ~TorchLbfgs();
  TorchLbfgs(const TorchLbfgs&) = delete;
  TorchLbfgs& operator=(const TorchLbfgs&) = delete;

  std::int64_t size() const noexcept;
  // One step(closure) from x (n values, updated in place); objective(x, g) is
  // the closure at x. The history, direction and step carry over to the next.
  TorchLbfgsStep step(const Objective& objective, double* x, const TorchLbfgsOptions& options);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fusedopt

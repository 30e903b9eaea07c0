#pragma once
// The outer loop every fo.minimize solver runs (L-BFGS / OWL-QN in
// csrc/lbfgs/, exact Newton and Newton-CG in csrc/newton/): the first
// evaluation, the stopping tests in their order, evaluation counting, the
// callback and the result. A solver supplies its step (a direction and a line
// search along it, csrc/line_search/) and what it keeps across iterations.
#include <cstdint>
#include <vector>

#include "fusedopt/objective.hpp"
#include "fusedopt/solver.hpp"
#include "stopping.hpp"
#include "vectors.hpp"

namespace fusedopt::solver {

class OuterLoop {
 public:
  OuterLoop(std::int64_t n, const SolverOptions& options);
  virtual ~OuterLoop() = default;
  OuterLoop(const OuterLoop&) = delete;
  OuterLoop& operator=(const OuterLoop&) = delete;

  std::int64_t size() const { return n_; }

  // One run from x (n values), which receives the best point found. Counters,
  // the iterate and the ftol window start afresh; what a solver keeps between
  // runs (L-BFGS's curvature pairs) is its own business.
  SolverResult run(const Objective& objective, double* x, const IterationCallback& callback);

 protected:
  enum class StepOutcome {
    taken,      // x_trial_, g_trial_, f_trial_ hold the next iterate
    failed,     // no acceptable step
    stationary  // the gradient test holds and there is no way down: converged
  };

  // The next iterate from (x_, g_, f_). `small`: the gradient test holds
  // already (asked only of second_order() solvers).
  virtual StepOutcome step(bool small) = 0;
  // Whether a small gradient alone leaves the run going (exact Newton: not at a saddle).
  virtual bool second_order() const { return false; }
  // Called once the start point is evaluated (and finite).
  virtual void start() {}
  // The gradient gtol is tested on (OWL-QN: its pseudo-gradient).
  virtual const double* stationarity_gradient() const { return g_.data(); }
  // The trial point becomes the iterate.
  virtual void accept();
  // f at x, with the gradient into g; counts one evaluation.
  virtual double evaluate(const double* x, double* g);

  // The evaluations one line search may use: max_ls, or what is left of max_fev.
  int budget() const;

  const SolverOptions options_;
  const std::int64_t n_;
  const Vectors v_;
  std::vector<double> x_, g_, x_trial_, g_trial_;
  double f_ = 0.0, f_trial_ = 0.0;
  std::int64_t nit_ = 0, nfev_ = 0, nhev_ = 0;
  bool saw_non_finite_ = false;  // a trial point of this iteration was not finite

 private:
  SolverStatus solve();
  bool small_gradient() const;

  const Objective* objective_ = nullptr;
  const IterationCallback* callback_ = nullptr;
  FtolWindow ftol_;
};

}  // namespace fusedopt::solver

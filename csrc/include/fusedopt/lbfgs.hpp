#pragma once
// L-BFGS (two-loop recursion, Moré–Thuente or backtracking line search) and
// OWL-QN (Andrew & Gao 2007) for f + l1 * |x|_1.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fusedopt/lbfgs_params.hpp"
#include "fusedopt/objective.hpp"

namespace fusedopt {

// Why the solver stopped. success <=> gtol or ftol.
enum class LbfgsStatus : int {
  converged_gtol = 0,
  converged_ftol = 1,
  max_iter = 2,
  max_fev = 3,
  line_search_failed = 4,
  callback_stop = 5,
  non_finite = 6,
};

struct LbfgsResult {
  double f = 0.0;          // objective at x (f + l1 * |x|_1 for OWL-QN)
  std::vector<double> g;   // gradient of the smooth part at x
  std::int64_t nit = 0, nfev = 0;
  LbfgsStatus status = LbfgsStatus::max_iter;
  std::string message;
};

// Minimizes from x (n values), which holds the best point found on return.
LbfgsResult minimize_lbfgs(const Objective& objective, double* x, std::int64_t n,
                           const LbfgsParams& params, const IterationCallback& callback);

// An L-BFGS whose curvature history outlives one run: each run() continues
// from the pairs the previous runs collected (torch.optim.LBFGS's step()).
class LbfgsSession {
 public:
  LbfgsSession(std::int64_t n, const LbfgsParams& params);  // validates params
  ~LbfgsSession();
  LbfgsSession(const LbfgsSession&) = delete;
  LbfgsSession& operator=(const LbfgsSession&) = delete;

  std::int64_t size() const noexcept;
  LbfgsResult run(const Objective& objective, double* x, const IterationCallback& callback);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

const char* status_message(LbfgsStatus status) noexcept;

}  // namespace fusedopt

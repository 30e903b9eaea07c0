#pragma once
// L-BFGS (two-loop recursion, Moré–Thuente or backtracking line search) and
// OWL-QN (Andrew & Gao 2007) for f + l1 * |x|_1, on the outer loop every
// solver shares (fusedopt/solver.hpp).
#include <cstdint>
#include <memory>
#include <limits>
#include <optional>
#include <string>

#include "fusedopt/objective.hpp"
#include "fusedopt/solver.hpp"

namespace fusedopt {

enum class LineSearchKind { strong_wolfe, backtracking };

// The values of the option line_search, by name.
struct LineSearchName {
  const char* name;
  LineSearchKind kind;
};
inline constexpr LineSearchName kLineSearchNames[] = {
    {"strong_wolfe", LineSearchKind::strong_wolfe},
    {"backtracking", LineSearchKind::backtracking},
};

namespace option {
// None (chosen by l1) or a kind of kLineSearchNames.
struct LineSearch {
  std::string what() const;  // "one of None, 'strong_wolfe', 'backtracking'"
  void check(const char*, const std::optional<LineSearchKind>&) const {}
};
}  // namespace option

struct LbfgsOptions : SolverOptions {
  std::int64_t history_size = 10;  // m, the number of (s, y) pairs kept
  // None: strong_wolfe, or backtracking with l1 > 0 (OWL-QN backtracks).
  std::optional<LineSearchKind> line_search;
  bool backtracking_wolfe = false;  // backtracking: also require the weak Wolfe condition
  double l1 = 0.0;          // > 0: minimize f + l1 * |x|_1 with OWL-QN
  double step_scale = 1.0;  // multiplies every line search's first trial step

  template <class Self, class Visit>
  static void fields(Self& self, Visit&& visit) {
    visit("history_size", self.history_size, option::IntIn{1, std::numeric_limits<int>::max()});
    SolverOptions::fields(self, visit);
    visit("line_search", self.line_search, option::LineSearch{});
    visit("backtracking_wolfe", self.backtracking_wolfe, option::Flag{});
  }

  // fo.minimize's arguments of their own (not options), declared as fields() declares options.
  template <class Self, class Visit>
  static void arguments(Self& self, Visit&& visit) {
    visit("l1", self.l1, option::NonNegative{});
    visit("step_scale", self.step_scale, option::Positive{});
  }

  LineSearchKind line_search_kind() const {
    return line_search.value_or(l1 > 0.0 ? LineSearchKind::backtracking
                                         : LineSearchKind::strong_wolfe);
  }
  // Throws std::invalid_argument with a message that names the option.
  void validate() const;
};

// Minimizes from x (n values), which holds the best point found on return.
SolverResult minimize_lbfgs(const Objective& objective, double* x, std::int64_t n,
                            const LbfgsOptions& options, const IterationCallback& callback);

// An L-BFGS whose curvature history outlives one run: each run() continues
// from the pairs the previous runs collected.
class LbfgsSession {
 public:
  LbfgsSession(std::int64_t n, const LbfgsOptions& options);  // validates options
  ~LbfgsSession();
  LbfgsSession(const LbfgsSession&) = delete;
  LbfgsSession& operator=(const LbfgsSession&) = delete;

  std::int64_t size() const noexcept;
  SolverResult run(const Objective& objective, double* x, const IterationCallback& callback);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fusedopt

#pragma once
// The ftol stopping test of the solvers' outer loop (outer_loop.hpp).
#include <algorithm>
#include <cmath>

namespace fusedopt::solver {

// (f_old - f) <= ftol * max(|f_old|, |f|) on kWindow consecutive iterations.
// Unlike scipy there is no floor of 1 in the max (which turns the test into an
// absolute 2.2e-9 for |f| < 1 and stops Gaussian, Powell singular or Penalty I
// far from their minima), and a single stalled iteration does not end the run
// (scipy stops on Wood at f = 7.9, on Powell badly scaled at 0.14 and on Meyer
// at 1e5).
class FtolWindow {
 public:
  static constexpr int kWindow = 10;

  explicit FtolWindow(double ftol) : ftol_(ftol) {}
  void reset() { count_ = 0; }
  // Records one iteration; true once kWindow small reductions came in a row.
  bool stalled(double f_old, double f) {
    const bool small = f_old - f <= ftol_ * std::max(std::fabs(f_old), std::fabs(f));
    count_ = small ? count_ + 1 : 0;
    return count_ >= kWindow;
  }

 private:
  double ftol_;
  int count_ = 0;
};

}  // namespace fusedopt::solver

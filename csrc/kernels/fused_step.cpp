#include "fusedopt/fused_step.hpp"

#include <algorithm>
#include <array>
#include <stdexcept>
#include <string>
#include <vector>

#include "fusedopt/dispatch.hpp"
#include "fusedopt/step_launch.hpp"
#include "fusedopt/threads.hpp"

namespace fusedopt {
namespace {

std::int64_t round_up(std::int64_t x, std::int64_t to) { return (x + to - 1) / to * to; }

[[noreturn]] void no_kernel(std::int64_t i, DType param, DType grad, const DType* states,
                            int count) {
  std::string what = "params[" + std::to_string(i) + "]: no kernel for a " + dtype_name(param) +
                     " parameter with a " + dtype_name(grad) + " gradient";
  for (int k = 0; k < count; ++k) what += std::string(k ? ", " : " and state ") + dtype_name(states[k]);
  throw std::invalid_argument(what);
}

// The tensors of one step, planned before anything is written.
template <class Opt>
struct Plan {
  using Coeffs = typename Opt::Coeffs;

  explicit Plan(std::int64_t capacity) {
    segments.reserve(capacity);
    coeffs.reserve(capacity);
    offsets.reserve(capacity + 1);
    params.reserve(capacity);
    if (ScalarsOf<Opt>::count > 0) scalars.reserve(capacity);
  }

  std::vector<Segment> segments;
  std::vector<Coeffs> coeffs;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int64_t> params;  // table index of each segment
  std::vector<std::array<double, kMaxScalars>> scalars;  // each segment's scalars after the step

  StepLaunch<Coeffs> launch() const {
    const std::int64_t total = offsets.back();
    return {segments.data(), coeffs.data(), offsets.data(),
            static_cast<std::int64_t>(segments.size()), threads_for(total), Opt::block};
  }
};

}  // namespace

bool storage_for(DType param, DType grad, const DType* states, int count, StoragePlan* out) noexcept {
  bool same = grad == param, f64 = param == DType::f64 || grad == DType::f64;
  for (int k = 0; k < count; ++k) {
    same = same && states[k] == param;
    f64 = f64 || states[k] == DType::f64;
  }
  if (!same) {
    if (f64) return false;  // float64 math needs float64 everywhere
    *out = {Storage::f32, true};
    return true;
  }
  switch (param) {
    case DType::f32:
      *out = {Storage::f32, false};
      return true;
    case DType::f64:
      *out = {Storage::f64, false};
      return true;
    case DType::bf16:
      *out = {Storage::bf16, false};
      return true;
    case DType::f16:
      *out = {Storage::f16, false};
      return true;
  }
  return false;
}

// Fills t's scalar states of parameter i: their values before the step (where
// none is live, the declared initial value rounded to the scalar's type, as
// torch makes a new 0-d tensor) and after it.
template <class Opt>
void plan_scalars(const ParamTable& table, std::int64_t i, const typename Opt::Hyper& h,
                  TensorStep& t) {
  using Scalars = ScalarsOf<Opt>;
  for (int k = 0; k < Scalars::count; ++k) {
    const bool live = table.scalar_live(i, k);
    t.scalar_dtype[k] = table.scalar_dtype(i, k);
    t.scalar[k] = live ? table.scalar(i, k) : t.rounded(k, Scalars::initial(h, k));
  }
  Scalars::advance(h, t, t.next);
}

template <class Opt>
void fused_step(ParamTable& table, const typename Opt::Hyper* hypers, const GradRef* grads) {
  using Scalars = ScalarsOf<Opt>;
  static_assert(Opt::kStates <= kMaxStates, "raise kMaxStates");
  static_assert(Scalars::count <= kMaxScalars, "raise kMaxScalars");
  static_assert(Scalars::count == 0 || !Opt::state_at_construction,
                "scalar states made at construction are not implemented (Core::add_params)");
  static_assert(Opt::block >= 1 && (Opt::block & (Opt::block - 1)) == 0,
                "block must be a power of two");
  Plan<Opt> plan(table.count());
  typename Opt::Planner planner;
  // Plan and check every tensor and allocate its buffers. Nothing visible is
  // written: a new or not-live buffer gets its initial value but reads as
  // absent until the step has run, so an error below changes nothing.
  for (std::int64_t i = 0; i < table.count(); ++i) {
    if (!grads[i].data) continue;
    const auto& h = hypers[table.group(i)];
    Segment s{table.data(i), grads[i].data, {}, table.size(i), {}, table.dtype(i), grads[i].dtype, {}};
    TensorStep t{table.step(i) + 1, {}, {}, {}, {}};
    DType types[kMaxStates];
    int used = 0;
    for (int k = 0; k < Opt::kStates; ++k) {
      s.state_dtype[k] = table.state_dtype(i, k);
      if (!Opt::uses(h, k)) continue;
      types[used++] = table.state_dtype(i, k);
      t.first[k] = !table.live(i, k);
    }
    if (!storage_for(s.param_dtype, s.grad_dtype, types, used, &s.plan))
      no_kernel(i, s.param_dtype, s.grad_dtype, types, used);
    for (int k = 0; k < Opt::kStates; ++k)
      if (Opt::uses(h, k)) s.state[k] = table.ensure_state(i, k, Opt::initial(h, k));
    plan_scalars<Opt>(table, i, h, t);
    plan.segments.push_back(s);
    plan.coeffs.push_back(planner.coeffs(h, t));
    if (Scalars::count > 0) {
      auto& next = plan.scalars.emplace_back();
      std::copy(std::begin(t.next), std::end(t.next), next.begin());
    }
    plan.offsets.push_back(plan.offsets.back() + round_up(s.size, Opt::block));
    plan.params.push_back(i);
  }
  (kernels().*StepSlot<Opt>::kernel)(plan.launch());
  for (std::size_t s = 0; s < plan.params.size(); ++s) {
    const std::int64_t i = plan.params[s];
    table.set_step(i, table.step(i) + 1);
    if (float* mirror = table.step_mirror(i)) *mirror = static_cast<float>(table.step(i));
    for (int k = 0; k < Opt::kStates; ++k)
      if (plan.segments[s].state[k]) table.set_live(i, k, true);
    for (int k = 0; k < Scalars::count; ++k) table.set_scalar(i, k, plan.scalars[s][k]);
  }
}

#define FUSEDOPT_INSTANTIATE_STEP(Opt) \
  template void fused_step<Opt>(ParamTable&, const Opt::Hyper*, const GradRef*);
FUSEDOPT_OPTIMIZERS(FUSEDOPT_INSTANTIATE_STEP)
#undef FUSEDOPT_INSTANTIATE_STEP

}  // namespace fusedopt

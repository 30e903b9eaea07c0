#include "fusedopt/fused_step.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "fusedopt/dispatch.hpp"
#include "fusedopt/threads.hpp"

namespace fusedopt {
namespace {

template <class Coeffs>
struct LaunchBuilder {
  explicit LaunchBuilder(std::int64_t capacity) {
    segments.reserve(capacity);
    coeffs.reserve(capacity);
    offsets.reserve(capacity + 1);
    params.reserve(capacity);
  }

  std::vector<Segment> segments;
  std::vector<Coeffs> coeffs;
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int64_t> params;  // table index of each segment

  // `states` lists the buffers this segment uses; -1 entries are skipped.
  void add(const ParamTable& table, std::int64_t i, const void* grad, const Coeffs& c,
           std::initializer_list<int> states) {
    Segment s{table.data(i), grad, {nullptr, nullptr, nullptr}, table.size(i), table.dtype(i)};
    for (int k : states)
      if (k >= 0) s.state[k] = table.state(i, k);
    segments.push_back(s);
    coeffs.push_back(c);
    offsets.push_back(offsets.back() + table.size(i));
    params.push_back(i);
  }

  StepLaunch<Coeffs> launch() const {
    return {segments.data(), coeffs.data(), offsets.data(),
            static_cast<std::int64_t>(segments.size()), threads_for(offsets.back())};
  }
};

double sign_of(bool maximize) { return maximize ? -1.0 : 1.0; }

L1Mode l1_mode(const RegularizerHyper& reg) {
  if (reg.l1 == 0.0) return L1Mode::none;
  return reg.proximal ? L1Mode::proximal : L1Mode::subgradient;
}

// Adam's bias corrections depend only on (beta1, beta2, t); all tensors of a
// group usually share them, so remember the last ones instead of calling pow
// twice per tensor.
struct BiasCorrections {
  double beta1 = -1.0, beta2 = -1.0, t = -1.0;
  double bias1 = 0.0, bias2 = 0.0;

  void update(double b1, double b2, double step) {
    if (b1 == beta1 && b2 == beta2 && step == t) return;
    beta1 = b1;
    beta2 = b2;
    t = step;
    // In double, as torch computes them on the host.
    bias1 = 1.0 - std::pow(b1, step);
    bias2 = 1.0 - std::pow(b2, step);
  }
};

// Allocates every buffer the step needs before anything is written, so that a
// failed allocation leaves parameters and state untouched.
void ensure_states(ParamTable& table, std::int64_t i, std::initializer_list<int> states) {
  for (int k : states) table.ensure_state(i, k);
}

template <class Coeffs>
void finish(ParamTable& table, const LaunchBuilder<Coeffs>& builder) {
  for (std::size_t s = 0; s < builder.params.size(); ++s) {
    const std::int64_t i = builder.params[s];
    table.set_step(i, table.step(i) + 1);
    if (float* mirror = table.step_mirror(i)) *mirror = static_cast<float>(table.step(i));
    for (int k = 0; k < kMaxStates; ++k)
      if (builder.segments[s].state[k]) table.set_live(i, k, true);
  }
}

}  // namespace

void sgd_step(ParamTable& table, const SgdHyper* hypers, const void* const* grads) {
  LaunchBuilder<SgdCoeffs> builder(table.count());
  for (std::int64_t i = 0; i < table.count(); ++i) {
    if (!grads[i]) continue;
    const SgdHyper& h = hypers[table.group(i)];
    const bool use_momentum = h.momentum != 0.0;
    // torch starts the buffer as a copy of the first gradient, undampened.
    const bool first = use_momentum && !table.live(i, sgd_state::momentum_buffer);
    SgdCoeffs c{};
    c.lr = h.lr;
    c.weight_decay = h.weight_decay + 2.0 * h.reg.l2;
    c.momentum = h.momentum;
    c.buffer_keep = first ? 0.0 : h.momentum;
    c.grad_scale = first ? 1.0 : 1.0 - h.dampening;
    c.sign = sign_of(h.maximize);
    c.l1 = h.reg.l1;
    c.l1_mode = l1_mode(h.reg);
    c.use_momentum = use_momentum;
    c.nesterov = h.nesterov;
    if (use_momentum) {
      ensure_states(table, i, {sgd_state::momentum_buffer});
      builder.add(table, i, grads[i], c, {sgd_state::momentum_buffer});
    } else {
      builder.add(table, i, grads[i], c, {});
    }
  }
  kernels().sgd(builder.launch());
  finish(table, builder);
}

void rmsprop_step(ParamTable& table, const RmspropHyper* hypers, const void* const* grads) {
  LaunchBuilder<RmspropCoeffs> builder(table.count());
  for (std::int64_t i = 0; i < table.count(); ++i) {
    if (!grads[i]) continue;
    const RmspropHyper& h = hypers[table.group(i)];
    const bool use_momentum = h.momentum > 0.0;
    RmspropCoeffs c{};
    c.lr = h.lr;
    c.alpha = h.alpha;
    c.eps = h.eps;
    c.weight_decay = h.weight_decay + 2.0 * h.reg.l2;
    c.momentum = h.momentum;
    c.sign = sign_of(h.maximize);
    c.l1 = h.reg.l1;
    c.l1_mode = l1_mode(h.reg);
    c.centered = h.centered;
    c.use_momentum = use_momentum;
    ensure_states(table, i, {rmsprop_state::square_avg});
    if (use_momentum) ensure_states(table, i, {rmsprop_state::momentum_buffer});
    if (h.centered) ensure_states(table, i, {rmsprop_state::grad_avg});
    builder.add(table, i, grads[i], c,
                {rmsprop_state::square_avg, use_momentum ? rmsprop_state::momentum_buffer : -1,
                 h.centered ? rmsprop_state::grad_avg : -1});
  }
  kernels().rmsprop(builder.launch());
  finish(table, builder);
}

void adam_step(ParamTable& table, const AdamHyper* hypers, const void* const* grads) {
  LaunchBuilder<AdamCoeffs> builder(table.count());
  BiasCorrections bias;
  for (std::int64_t i = 0; i < table.count(); ++i) {
    if (!grads[i]) continue;
    const AdamHyper& h = hypers[table.group(i)];
    bias.update(h.beta1, h.beta2, static_cast<double>(table.step(i) + 1));
    AdamCoeffs c{};
    c.beta1 = h.beta1;
    c.beta2 = h.beta2;
    c.eps = h.eps;
    c.l2 = (h.decoupled ? 0.0 : h.weight_decay) + 2.0 * h.reg.l2;
    c.decay = h.decoupled ? 1.0 - h.lr * h.weight_decay : 1.0;
    c.step_size = h.lr / bias.bias1;
    c.inv_bias2_sqrt = 1.0 / std::sqrt(bias.bias2);
    c.sign = sign_of(h.maximize);
    c.l1 = h.reg.l1;
    c.l1_mode = l1_mode(h.reg);
    c.amsgrad = h.amsgrad;
    ensure_states(table, i, {adam_state::exp_avg, adam_state::exp_avg_sq});
    if (h.amsgrad) ensure_states(table, i, {adam_state::max_exp_avg_sq});
    builder.add(table, i, grads[i], c,
                {adam_state::exp_avg, adam_state::exp_avg_sq,
                 h.amsgrad ? adam_state::max_exp_avg_sq : -1});
  }
  kernels().adam(builder.launch());
  finish(table, builder);
}

}  // namespace fusedopt

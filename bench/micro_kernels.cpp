// google-benchmark microbenchmarks of the per-ISA kernels (KernelTable and
// VectorKernels), called directly with hand-built launch structs: they time
// the kernels alone, without the parameter table, step setup or Python.
//
// Names: <kernel>/<dtype>/<isa>/omp:<threads>/n:<elements>/real_time. omp is
// the kernel's own thread count (the launch's num_threads), not
// google-benchmark's ->Threads(). Bytes count every array read plus every
// array written per element (see bench/README.md).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "fusedopt/dispatch.hpp"
#include "fusedopt/kernels.hpp"

namespace fo = fusedopt;

namespace {

using i64 = std::int64_t;

constexpr i64 kMinSize = 1'000;
constexpr i64 kMaxSize = 10'000'000;
constexpr fo::Isa kIsas[] = {fo::Isa::baseline, fo::Isa::avx2, fo::Isa::avx512};

template <class T>
constexpr fo::DType kDType = std::is_same_v<T, float> ? fo::DType::f32 : fo::DType::f64;
template <class T>
constexpr fo::Storage kStorage = std::is_same_v<T, float> ? fo::Storage::f32 : fo::Storage::f64;

// ---------------------------------------------------------------- buffers
struct FreeDeleter {
  void operator()(void* p) const noexcept { std::free(p); }
};

// `count` arrays of n elements, 64-byte aligned so that every ISA and run sees
// the same alignment. The first `patterned` arrays hold values
// in (-1, 1) with no zeros; the rest (optimizer state, outputs) start at 0.
template <class T>
class Buffers {
 public:
  Buffers(int count, int patterned, i64 n) : n_(n) {
    const std::size_t bytes = (static_cast<std::size_t>(n) * sizeof(T) + 63) & ~std::size_t(63);
    for (int k = 0; k < count; ++k) {
      T* data = static_cast<T*>(std::aligned_alloc(64, bytes));
      if (!data) throw std::bad_alloc();
      arrays_.emplace_back(data);
      // Writing every element also faults the pages in before timing starts.
      for (i64 i = 0; i < n; ++i) data[i] = k < patterned ? pattern(i, k) : T(0);
    }
  }
  T* operator[](int k) const { return arrays_[k].get(); }

  bool finite() const {
    for (const auto& a : arrays_)
      for (i64 i = 0; i < n_; ++i)
        if (!std::isfinite(a.get()[i])) return false;
    return true;
  }

 private:
  // A cheap hash of (i, k): filling 10^7 elements must not dominate setup.
  static T pattern(i64 i, int k) {
    const std::uint64_t h = (static_cast<std::uint64_t>(i) + 7919u * k) * 2654435761u;
    return static_cast<T>((static_cast<double>(h % 2048) - 1023.5) / 1024.0);
  }
  i64 n_;
  std::vector<std::unique_ptr<T, FreeDeleter>> arrays_;
};

// Fails the run if the repeated calls drove any value to inf or NaN: the
// timing would then be of a degenerate state, not of training.
template <class T>
void check_finite(benchmark::State& state, const Buffers<T>& buf, double last_result = 0.0) {
  if (!buf.finite() || !std::isfinite(last_result))
    state.SkipWithError("values became inf or NaN over the timed calls");
}

// ---------------------------------------------------------------- hyperparameters
// Folded into coefficients by each optimizer's own planner (its declaration in
// fusedopt/optimizers/), with torch's defaults, at step 1000 (past the
// bias-correction warm-up; buffers live).
constexpr double kLr = 1e-3;
constexpr i64 kStep = 1000;

template <class Opt>
typename Opt::Coeffs coeffs_of(const typename Opt::Hyper& h) {
  typename Opt::Planner planner;
  return planner.coeffs(h, fo::TensorStep{kStep, {}});
}

fo::Sgd::Coeffs sgd_coeffs(double momentum) {
  fo::Sgd::Hyper h{};
  h.lr = kLr;
  h.weight_decay = 1e-4;
  h.momentum = momentum;
  return coeffs_of<fo::Sgd>(h);
}

fo::Rmsprop::Coeffs rmsprop_coeffs(bool centered, double momentum) {
  fo::Rmsprop::Hyper h{};
  h.lr = kLr;
  h.alpha = 0.99;
  h.eps = 1e-8;
  h.momentum = momentum;
  h.centered = centered;
  return coeffs_of<fo::Rmsprop>(h);
}

// weight_decay is Adam's coupled L2 or, with `decoupled`, AdamW's decay;
// l1 > 0 adds the proximal L1 step.
fo::Adam::Coeffs adam_coeffs(bool decoupled, double weight_decay, bool amsgrad, double l1) {
  fo::Adam::Hyper h{};
  h.lr = kLr;
  h.beta1 = 0.9;
  h.beta2 = 0.999;
  h.eps = 1e-8;
  h.weight_decay = weight_decay;
  h.amsgrad = amsgrad;
  h.decoupled_weight_decay = decoupled;
  h.reg.l1 = l1;
  h.reg.proximal = true;
  return coeffs_of<fo::Adam>(h);
}

// ---------------------------------------------------------------- runners
// Each runs the timing loop of one kernel on n elements with `threads` pool
// threads, using the kernel table of the ISA the caller selected.
using Runner = void (*)(benchmark::State&, i64 n, int threads);

template <class Coeffs>
using StepKernel = void (*)(const fo::StepLaunch<Coeffs>&);

// The gradient flips sign every step (the kernels' `sign` coefficient, so no
// second gradient array joins the working set). The moments then see a
// zero-mean gradient of nonzero variance: over millions of steps parameters
// stay bounded and centered RMSprop's v - avg^2 stays positive, where a
// constant gradient would drive it to 0 and the step to lr * g / eps.
// `states` optimizer buffers fill state slots 0 .. states - 1.
template <class T, class Coeffs>
void run_step(benchmark::State& state, i64 n, int threads,
              StepKernel<Coeffs> fo::KernelTable::*field, const Coeffs& coeffs, int states) {
  const Buffers<T> buf(2 + states, 2, n);  // p, g, then the state
  fo::Segment seg{buf[0], buf[1], {}, n, kStorage<T>};
  for (int k = 0; k < states; ++k) seg.state[k] = buf[2 + k];
  Coeffs flipped = coeffs;
  flipped.sign = -coeffs.sign;
  const Coeffs per_step[2] = {coeffs, flipped};
  const i64 offsets[2] = {0, n};
  const StepKernel<Coeffs> kernel = fo::kernels().*field;
  int parity = 0;
  for (auto _ : state) {
    kernel({&seg, &per_step[parity], offsets, 1, threads, 1});
    parity ^= 1;
    benchmark::ClobberMemory();
  }
  check_finite(state, buf);
}

constexpr double kRegL1 = 1e-4, kRegL2 = 1e-4;

template <class T>
void run_reg_value(benchmark::State& state, i64 n, int threads) {
  const Buffers<T> buf(1, 1, n);
  const fo::RegSegment seg{buf[0], nullptr, n, kDType<T>};
  const i64 offsets[2] = {0, n};
  const fo::RegLaunch launch{&seg, offsets, 1, threads, kRegL1, kRegL2, false};
  const auto kernel = fo::kernels().regularizer_value;
  double value = 0.0;
  for (auto _ : state) {
    value = kernel(launch);
    benchmark::DoNotOptimize(value);
  }
  check_finite(state, buf, value);
}

template <class T>
void run_reg_grad(benchmark::State& state, i64 n, int threads, bool accumulate) {
  const Buffers<T> buf(2, 1, n);  // w, out
  const fo::RegSegment seg{buf[0], buf[1], n, kDType<T>};
  const i64 offsets[2] = {0, n};
  const fo::RegLaunch launch{&seg, offsets, 1, threads, kRegL1, kRegL2, accumulate};
  const auto kernel = fo::kernels().regularizer_grad;
  for (auto _ : state) {
    kernel(launch);
    benchmark::ClobberMemory();
  }
  check_finite(state, buf);
}

// A kernel with float32 and float64 versions; `arrays` = arrays read + arrays
// written per element.
struct TypedCase {
  const char* name;
  int arrays;
  Runner f32, f64;
};

// Case has `template <class T> static void run(State&, i64 n, int threads)`.
template <class Case>
TypedCase typed(const char* name, int arrays) {
  return {name, arrays, &Case::template run<float>, &Case::template run<double>};
}

struct Sgd {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    run_step<T>(s, n, t, fo::StepSlot<fo::Sgd>::kernel, sgd_coeffs(0.0), 0);
  }
};
struct SgdMomentum {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    run_step<T>(s, n, t, fo::StepSlot<fo::Sgd>::kernel, sgd_coeffs(0.9), 1);
  }
};
struct Rmsprop {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    run_step<T>(s, n, t, fo::StepSlot<fo::Rmsprop>::kernel, rmsprop_coeffs(false, 0.0), 1);
  }
};
struct RmspropCenteredMomentum {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    run_step<T>(s, n, t, fo::StepSlot<fo::Rmsprop>::kernel, rmsprop_coeffs(true, 0.9), 3);
  }
};
template <bool Decoupled, int WeightDecayE4, bool Amsgrad, int L1E6>
struct Adam {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    const fo::Adam::Coeffs c = adam_coeffs(Decoupled, WeightDecayE4 * 1e-4, Amsgrad, L1E6 * 1e-6);
    run_step<T>(s, n, t, fo::StepSlot<fo::Adam>::kernel, c, Amsgrad ? 3 : 2);
  }
};
struct RegValue {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    run_reg_value<T>(s, n, t);
  }
};
template <bool Accumulate>
struct RegGrad {
  template <class T>
  static void run(benchmark::State& s, i64 n, int t) {
    run_reg_grad<T>(s, n, t, Accumulate);
  }
};

std::vector<TypedCase> typed_cases() {
  return {
      typed<Sgd>("sgd", 3),                   // reads p, g; writes p
      typed<SgdMomentum>("sgd_momentum", 5),  // reads p, g, b; writes p, b
      typed<Rmsprop>("rmsprop", 5),           // reads p, g, v; writes p, v
      // reads p, g, v, b, avg; writes p, v, b, avg
      typed<RmspropCenteredMomentum>("rmsprop_centered_momentum", 9),
      typed<Adam<false, 0, false, 0>>("adam", 7),      // reads p, g, m, v; writes p, m, v
      typed<Adam<true, 100, false, 0>>("adamw", 7),    // weight_decay 1e-2
      typed<Adam<true, 100, true, 0>>("adamw_amsgrad", 9),  // + reads and writes vmax
      typed<Adam<true, 100, false, 10>>("adamw_prox_l1", 7),  // l1 1e-5: + a division
      typed<RegValue>("reg_value", 1),                  // reads w
      typed<RegGrad<false>>("reg_grad", 2),             // reads w; writes out
      typed<RegGrad<true>>("reg_grad_accumulate", 3),   // reads w, out; writes out
  };
}

// ---------------------------------------------------------------- vector kernels
// float64 only. `call` gets the arrays and the step's parity: alpha flips sign
// (or scale alternates 2 and 1/2, both exact), so repeated in-place updates
// stay bounded instead of drifting or decaying into denormals.
struct VectorCase {
  const char* name;
  int buffers;  // distinct arrays
  int arrays;   // arrays read + arrays written per element
  double (*call)(const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int threads,
                 int parity);
};

double signed_alpha(int parity) { return parity ? -1e-3 : 1e-3; }

const VectorCase kVectorCases[] = {
    {"dot", 2, 2,
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int) {
       return k.dot(v[0], v[1], n, t);
     }},
    {"abs_sum", 1, 1,
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int) {
       return k.abs_sum(v[0], n, t);
     }},
    {"abs_max", 1, 1,
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int) {
       return k.abs_max(v[0], n, t);
     }},
    {"axpy", 2, 3,  // reads x, y; writes y
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int parity) {
       k.axpy(signed_alpha(parity), v[0], v[1], n, t);
       return 0.0;
     }},
    {"axpy_dot", 3, 4,  // reads x, y, z; writes y
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int parity) {
       return k.axpy_dot(signed_alpha(parity), v[0], v[1], v[2], n, t);
     }},
    {"scale", 1, 2,  // reads x; writes x
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int parity) {
       k.scale(parity ? 0.5 : 2.0, v[0], n, t);
       return 0.0;
     }},
    {"xpay", 3, 3,  // reads x, d; writes w
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int parity) {
       k.xpay(v[2], v[0], signed_alpha(parity), v[1], n, t);
       return 0.0;
     }},
    {"diff", 3, 3,  // reads a, b; writes w
     [](const fo::VectorKernels& k, const Buffers<double>& v, i64 n, int t, int) {
       k.diff(v[2], v[0], v[1], n, t);
       return 0.0;
     }},
};

void run_vector(benchmark::State& state, i64 n, int threads, const VectorCase& c) {
  const Buffers<double> buf(c.buffers, c.buffers, n);
  const fo::VectorKernels& kernels = fo::vector_kernels();
  int parity = 0;
  double result = 0.0;
  for (auto _ : state) {
    result = c.call(kernels, buf, n, threads, parity);
    parity ^= 1;
    benchmark::DoNotOptimize(result);
    benchmark::ClobberMemory();
  }
  check_finite(state, buf, result);
}

// ---------------------------------------------------------------- registration
void skip(benchmark::State& state, const std::string& why) {
#if defined(FUSEDOPT_BENCHMARK_HAS_SKIP_MESSAGE)
  state.SkipWithMessage(why);
#else
  state.SkipWithError(why.c_str());  // google-benchmark < 1.8 has no plain skip
#endif
}

std::string unsupported_reason(fo::Isa isa) {
  const std::string name = fo::isa_name(isa);
  if (!fo::isa_compiled(isa)) return name + " kernels are not compiled into this build";
  return name + " is not supported by this CPU or OS";
}

using Body = std::function<void(benchmark::State&, i64 n, int threads)>;

// Registers body for every size on `isa`, skipped where the ISA cannot run.
void add(const std::string& name, fo::Isa isa, int threads, i64 bytes_per_element, Body body) {
  benchmark::RegisterBenchmark(name.c_str(), [=](benchmark::State& state) {
    if (!fo::isa_supported(isa)) return skip(state, unsupported_reason(isa));
    fo::set_isa(isa);
    const i64 n = state.range(0);
    body(state, n, threads);
    state.SetItemsProcessed(state.iterations() * n);
    state.SetBytesProcessed(state.iterations() * n * bytes_per_element);
  })
      ->ArgName("n")
      ->RangeMultiplier(10)
      ->Range(kMinSize, kMaxSize)
      // Wall time: the main thread's CPU time misses the pool's workers'.
      ->UseRealTime();
}

// 1 and all of OpenMP's threads (OMP_NUM_THREADS or the core count).
std::vector<int> thread_counts() {
  const int all = fo::num_threads();
  return all > 1 ? std::vector<int>{1, all} : std::vector<int>{1};
}

std::string case_name(const char* kernel, const char* dtype, fo::Isa isa, int threads) {
  return std::string(kernel) + "/" + dtype + "/" + fo::isa_name(isa) + "/omp:" +
         std::to_string(threads);
}

void register_all() {
  for (const TypedCase& c : typed_cases())
    for (const auto& [dtype, size, run] :
         {std::tuple{"f32", sizeof(float), c.f32}, std::tuple{"f64", sizeof(double), c.f64}})
      for (fo::Isa isa : kIsas)
        for (int threads : thread_counts())
          add(case_name(c.name, dtype, isa, threads), isa, threads,
              c.arrays * static_cast<i64>(size), run);
  for (const VectorCase& c : kVectorCases)
    for (fo::Isa isa : kIsas)
      for (int threads : thread_counts())
        add(case_name(c.name, "f64", isa, threads), isa, threads,
            c.arrays * static_cast<i64>(sizeof(double)),
            [&c](benchmark::State& s, i64 n, int t) { run_vector(s, n, t, c); });
}

std::string supported_isas() {
  std::string out;
  for (fo::Isa isa : fo::available_isas())
    out += (out.empty() ? "" : ",") + std::string(fo::isa_name(isa));
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::AddCustomContext("fusedopt_isas", supported_isas());
  benchmark::AddCustomContext("omp_threads", std::to_string(fo::num_threads()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

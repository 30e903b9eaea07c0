#include "fusedopt/param_table.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace fusedopt {
namespace {

#include "half_bits.hpp"

constexpr std::size_t kAlignment = 64;  // a cache line, and one AVX-512 vector

template <class T>
void fill_as(void* data, std::int64_t n, T value) noexcept {
  std::fill_n(static_cast<T*>(data), n, value);
}

}  // namespace

// A 16-bit buffer gets the value rounded to float32 first, as the kernels'
// math type, then to its own type.
void fill(void* data, std::int64_t n, DType dtype, double value) noexcept {
  if (value == 0.0) {  // all-zero bytes, and memset is the fastest way there
    std::memset(data, 0, static_cast<std::size_t>(n) * dtype_size(dtype));
    return;
  }
  switch (dtype) {
    case DType::f32:
      return fill_as(data, n, static_cast<float>(value));
    case DType::f64:
      return fill_as(data, n, value);
    case DType::bf16:
      return fill_as(data, n, to_bf16(static_cast<float>(value)).bits);
    case DType::f16:
      return fill_as(data, n, to_f16(static_cast<float>(value)).bits);
  }
}

void ParamTable::AlignedFree::operator()(void* p) const noexcept { std::free(p); }

std::int64_t ParamTable::add(void* data, std::int64_t size, DType dtype, int group,
                            DType state_dtype) {
  Param& param = params_.emplace_back();
  param.data = data;
  param.size = size;
  param.dtype = dtype;
  param.group = group;
  for (Buffer& b : param.state) b.dtype = state_dtype;
  add_interval(data, static_cast<std::size_t>(size) * dtype_size(dtype));
  return count() - 1;
}

void ParamTable::move(std::int64_t i, void* data) {
  Param& param = params_[i];
  remove_interval(param.data);
  param.data = data;
  if (data) add_interval(data, static_cast<std::size_t>(param.size) * dtype_size(param.dtype));
}

void* ParamTable::ensure_state(std::int64_t i, int k, double initial) {
  Param& param = params_[i];
  Buffer& b = param.state[k];
  if (!b.external && !b.owned) {
    const std::size_t bytes = state_bytes(i, k);
    const std::size_t padded = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
    void* memory = std::aligned_alloc(kAlignment, padded);
    if (!memory) throw std::bad_alloc();
    std::memset(memory, 0, padded);
    b.owned.reset(memory);
    add_interval(memory, padded);
  }
  // Not live: new, dropped earlier (a stale Python view may have written into
  // it since), or an external buffer that holds no state yet.
  if (!b.live) fill(state(i, k), param.size, b.dtype, initial);
  return state(i, k);
}

void ParamTable::drop_state(std::int64_t i, int k) noexcept {
  // Python may still hold views of the buffer: zero it, never free it.
  if (void* buffer = state(i, k)) std::memset(buffer, 0, state_bytes(i, k));
  params_[i].state[k].live = false;
}

void ParamTable::bind_external_state(std::int64_t i, int k, void* data, DType dtype, bool live) {
  Buffer& b = params_[i].state[k];
  if (b.external) remove_interval(b.external);
  b.external = data;
  b.dtype = dtype;
  b.live = live;
  add_interval(data, state_bytes(i, k));
}

void ParamTable::unbind_external(std::int64_t i) {
  Param& param = params_[i];
  for (Buffer& b : param.state) {
    if (b.external) remove_interval(b.external);
    b.external = nullptr;
    b.live = false;
  }
  param.step_mirror = nullptr;
  param.step = 0;
  for (Scalar& s : param.scalars) s = Scalar{};
}

double round_to(DType dtype, double x) noexcept {
  switch (dtype) {
    case DType::f32:
      return static_cast<float>(x);
    case DType::f64:
      return x;
    case DType::bf16:
      return to_float(to_bf16(static_cast<float>(x)));
    case DType::f16:
      return to_float(to_f16(static_cast<float>(x)));
  }
  std::abort();
}

void write_scalar(void* to, DType dtype, double value) noexcept {
  switch (dtype) {
    case DType::f32:
      *static_cast<float*>(to) = static_cast<float>(value);
      return;
    case DType::f64:
      *static_cast<double*>(to) = value;
      return;
    case DType::bf16:
      *static_cast<bf16*>(to) = to_bf16(static_cast<float>(value));
      return;
    case DType::f16:
      *static_cast<f16*>(to) = to_f16(static_cast<float>(value));
      return;
  }
}

double read_scalar(const void* from, DType dtype) noexcept {
  switch (dtype) {
    case DType::f32:
      return *static_cast<const float*>(from);
    case DType::f64:
      return *static_cast<const double*>(from);
    case DType::bf16:
      return to_float(*static_cast<const bf16*>(from));
    case DType::f16:
      return to_float(*static_cast<const f16*>(from));
  }
  std::abort();
}

void ParamTable::set_scalar(std::int64_t i, int k, double value, DType dtype) noexcept {
  Scalar& s = params_[i].scalars[k];
  s.value = round_to(dtype, value);
  s.dtype = dtype;
  s.live = true;
  if (s.mirror) write_scalar(s.mirror, dtype, s.value);
}

void ParamTable::drop_scalar(std::int64_t i, int k) noexcept {
  Scalar& s = params_[i].scalars[k];
  s.value = 0.0;
  s.dtype = DType::f32;
  s.live = false;
}

void ParamTable::bind_scalar_mirror(std::int64_t i, int k, void* mirror, DType dtype,
                                    bool live) noexcept {
  Scalar& s = params_[i].scalars[k];
  s.mirror = mirror;
  s.dtype = dtype;
  s.live = live;
  s.value = live ? read_scalar(mirror, dtype) : 0.0;
}

void ParamTable::remove_interval(const void* data) {
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  intervals_.erase(std::remove_if(intervals_.begin(), intervals_.end(),
                                  [begin](const Interval& v) { return v.begin == begin; }),
                   intervals_.end());
}

void ParamTable::add_interval(const void* data, std::size_t bytes) {
  if (bytes == 0) return;
  const auto begin = reinterpret_cast<std::uintptr_t>(data);
  const Interval interval{begin, begin + bytes};
  const auto pos = std::upper_bound(intervals_.begin(), intervals_.end(), interval,
                                    [](const Interval& a, const Interval& b) { return a.begin < b.begin; });
  intervals_.insert(pos, interval);
}

bool ParamTable::overlaps(const void* begin, const void* end) const {
  const auto b = reinterpret_cast<std::uintptr_t>(begin);
  const auto e = reinterpret_cast<std::uintptr_t>(end);
  if (b >= e) return false;
  // Intervals are disjoint, so their ends are sorted like their begins: only
  // the last one that begins before `e` can reach past `b`.
  auto it = std::lower_bound(intervals_.begin(), intervals_.end(), e,
                             [](const Interval& v, std::uintptr_t x) { return v.begin < x; });
  if (it == intervals_.begin()) return false;
  --it;
  return it->end > b;
}

}  // namespace fusedopt

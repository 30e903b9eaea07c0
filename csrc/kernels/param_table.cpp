#include "fusedopt/param_table.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

namespace fusedopt {
namespace {
constexpr std::size_t kAlignment = 64;  // a cache line, and one AVX-512 vector
}

std::size_t dtype_size(DType dtype) noexcept { return dtype == DType::f32 ? 4 : 8; }

void ParamTable::AlignedFree::operator()(void* p) const noexcept { std::free(p); }

std::int64_t ParamTable::add(void* data, std::int64_t size, DType dtype, int group) {
  Param& param = params_.emplace_back();
  param.data = data;
  param.size = size;
  param.dtype = dtype;
  param.group = group;
  add_interval(data, static_cast<std::size_t>(size) * dtype_size(dtype));
  return count() - 1;
}

void ParamTable::move(std::int64_t i, void* data) {
  Param& param = params_[i];
  remove_interval(param.data);
  param.data = data;
  if (data) add_interval(data, static_cast<std::size_t>(param.size) * dtype_size(param.dtype));
}

void* ParamTable::ensure_state(std::int64_t i, int k) {
  Param& param = params_[i];
  if (param.external[k]) {
    if (!param.live[k])
      std::memset(param.external[k], 0, static_cast<std::size_t>(param.size) * dtype_size(param.dtype));
    return param.external[k];
  }
  if (!param.state[k]) {
    const std::size_t bytes = static_cast<std::size_t>(param.size) * dtype_size(param.dtype);
    const std::size_t padded = std::max(kAlignment, (bytes + kAlignment - 1) / kAlignment * kAlignment);
    void* memory = std::aligned_alloc(kAlignment, padded);
    if (!memory) throw std::bad_alloc();
    std::memset(memory, 0, padded);
    param.state[k].reset(memory);
    add_interval(memory, padded);
  } else if (!param.live[k]) {
    // Dropped earlier; a stale Python view may have written into it since.
    std::memset(param.state[k].get(), 0, static_cast<std::size_t>(param.size) * dtype_size(param.dtype));
  }
  return param.state[k].get();
}

void ParamTable::drop_state(std::int64_t i, int k) noexcept {
  // Python may still hold views of the buffer: zero it, never free it.
  Param& param = params_[i];
  if (void* buffer = state(i, k)) std::memset(buffer, 0, param.size * dtype_size(param.dtype));
  param.live[k] = false;
}

void ParamTable::bind_external_state(std::int64_t i, int k, void* data, bool live) {
  Param& param = params_[i];
  if (param.external[k]) remove_interval(param.external[k]);
  param.external[k] = data;
  add_interval(data, static_cast<std::size_t>(param.size) * dtype_size(param.dtype));
  param.live[k] = live;
}

void ParamTable::unbind_external(std::int64_t i) {
  Param& param = params_[i];
  for (int k = 0; k < kMaxStates; ++k) {
    if (param.external[k]) remove_interval(param.external[k]);
    param.external[k] = nullptr;
    param.live[k] = false;
  }
  param.step_mirror = nullptr;
  param.step = 0;
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

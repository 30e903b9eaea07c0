#pragma once
// The parameters an optimizer updates and the state buffers it owns for them.
// Every buffer has its own storage type. Buffers are allocated on first use,
// filled with their initial value, 64-byte aligned, and live as long as the
// table; the kernels address them without any per-step checks.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "fusedopt/dtype.hpp"

namespace fusedopt {

// State buffers per parameter an optimizer may declare.
inline constexpr int kMaxStates = 6;
// Scalar states per parameter (torch's 0-d state tensors besides 'step').
inline constexpr int kMaxScalars = 4;

// x as a scalar state of type `dtype` holds it (rounded to nearest; to a
// 16-bit type through float32, as torch's float32 math on a 16-bit 0-d tensor).
double round_to(DType dtype, double x) noexcept;
// One value of type `dtype` at `to` / from `from`.
void write_scalar(void* to, DType dtype, double value) noexcept;
double read_scalar(const void* from, DType dtype) noexcept;

class ParamTable {
 public:
  // Registers a parameter of `size` elements living at `data` (the caller has
  // checked contiguity, writeability and that it overlaps no other parameter).
  // Its state buffers get storage type `state_dtype` (the caller checked that
  // the kernels mix it with `dtype`). Returns its index.
  std::int64_t add(void* data, std::int64_t size, DType dtype, int group, DType state_dtype);

  // Parameter i now lives at `data` (same size and dtype; the caller checked
  // that it overlaps nothing else).
  void move(std::int64_t i, void* data);

  std::int64_t count() const noexcept { return static_cast<std::int64_t>(params_.size()); }
  void* data(std::int64_t i) const noexcept { return params_[i].data; }
  std::int64_t size(std::int64_t i) const noexcept { return params_[i].size; }
  DType dtype(std::int64_t i) const noexcept { return params_[i].dtype; }
  int group(std::int64_t i) const noexcept { return params_[i].group; }

  // Steps taken with a gradient (torch's state['step']).
  std::int64_t step(std::int64_t i) const noexcept { return params_[i].step; }
  void set_step(std::int64_t i, std::int64_t step) noexcept { params_[i].step = step; }

  // A buffer is "live" once a step has written it or a state was loaded into it.
  bool live(std::int64_t i, int k) const noexcept { return params_[i].state[k].live; }
  void set_live(std::int64_t i, int k, bool live) noexcept { params_[i].state[k].live = live; }
  DType state_dtype(std::int64_t i, int k) const noexcept { return params_[i].state[k].dtype; }
  std::size_t state_bytes(std::int64_t i, int k) const noexcept {
    return static_cast<std::size_t>(params_[i].size) * dtype_size(state_dtype(i, k));
  }
  void* state(std::int64_t i, int k) const noexcept {
    const Buffer& b = params_[i].state[k];
    return b.external ? b.external : b.owned.get();
  }
  // Buffer k of parameter i, allocated if needed; set to `initial` everywhere
  // unless it is live.
  void* ensure_state(std::int64_t i, int k, double initial);
  // Zeroes buffer k of parameter i and marks it not live. The memory itself
  // lives as long as the table, since views of it may still exist.
  void drop_state(std::int64_t i, int k) noexcept;

  // Uses caller-owned memory (e.g. a torch tensor's) of storage type `dtype`
  // as buffer k of parameter i from now on; `live` says whether it already
  // holds state. The caller keeps it alive and must rebind before freeing it.
  void bind_external_state(std::int64_t i, int k, void* data, DType dtype, bool live);
  // Forgets every external buffer and the step and scalar mirrors of parameter
  // i (without touching their memory): its state is empty until buffers are
  // bound again.
  void unbind_external(std::int64_t i);
  // A float32 the step count is copied to after every step (torch's 'step').
  void bind_step_mirror(std::int64_t i, float* mirror) noexcept { params_[i].step_mirror = mirror; }
  float* step_mirror(std::int64_t i) const noexcept { return params_[i].step_mirror; }

  // Scalar state k of parameter i (NAdam's mu_product, ASGD's eta and mu):
  // a value kept in the table, of type scalar_dtype (float32 or float64, as
  // torch's 0-d tensor), live once a step has set it or a state was loaded.
  bool scalar_live(std::int64_t i, int k) const noexcept { return params_[i].scalars[k].live; }
  double scalar(std::int64_t i, int k) const noexcept { return params_[i].scalars[k].value; }
  DType scalar_dtype(std::int64_t i, int k) const noexcept { return params_[i].scalars[k].dtype; }
  // Makes scalar k hold `value` rounded to `dtype`, live, and copies it to
  // its mirror if one is bound.
  void set_scalar(std::int64_t i, int k, double value, DType dtype) noexcept;
  // The new value of a live scalar after a step, kept in its own type.
  void set_scalar(std::int64_t i, int k, double value) noexcept {
    set_scalar(i, k, value, scalar_dtype(i, k));
  }
  // Scalar k holds no state (float32 until set).
  void drop_scalar(std::int64_t i, int k) noexcept;
  // Caller-owned memory (a torch 0-d tensor's) of type `dtype` that scalar k
  // is copied to after every step; `live`: it holds the state, which is read
  // from it now. The caller keeps it alive and must rebind before freeing it.
  void bind_scalar_mirror(std::int64_t i, int k, void* mirror, DType dtype, bool live) noexcept;

  // True when [begin, end) shares a byte with a parameter or a state buffer.
  bool overlaps(const void* begin, const void* end) const;

 private:
  struct AlignedFree {
    void operator()(void* p) const noexcept;
  };
  struct Buffer {
    std::unique_ptr<void, AlignedFree> owned;
    void* external = nullptr;
    DType dtype = DType::f32;
    bool live = false;
  };
  struct Scalar {
    double value = 0.0;
    DType dtype = DType::f32;
    bool live = false;
    void* mirror = nullptr;
  };
  struct Param {
    void* data;
    std::int64_t size;
    DType dtype;
    int group;
    std::int64_t step = 0;
    Buffer state[kMaxStates];
    float* step_mirror = nullptr;
    Scalar scalars[kMaxScalars];
  };
  struct Interval {
    std::uintptr_t begin, end;
  };
  void add_interval(const void* data, std::size_t bytes);
  void remove_interval(const void* data);

  std::vector<Param> params_;
  std::vector<Interval> intervals_;  // sorted by begin, non-overlapping
};

// Sets n elements of storage type `dtype` at `data` to `value`.
void fill(void* data, std::int64_t n, DType dtype, double value) noexcept;

}  // namespace fusedopt

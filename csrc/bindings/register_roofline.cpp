// The bandwidth reference of `fusedopt bench` (fusedopt/roofline_launch.hpp).
// Arrays are prepared by fusedopt.bench; the checks here only keep a bad call
// from reaching memory it should not.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <vector>

#include "fusedopt/dispatch.hpp"
#include "fusedopt/threads.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

// Runs `passes` passes over `arrays` (reads = len(arrays); the first `writes`
// are written in place) with the thread count a step of that size would use.
void roofline(const std::vector<py::array>& arrays, int writes, std::int64_t passes) {
  const int reads = static_cast<int>(arrays.size());
  if (reads < 1 || reads > kMaxRooflineArrays || writes < 0 || writes > reads || passes < 0)
    throw py::value_error("roofline: 1-5 arrays, 0 <= writes <= len(arrays), passes >= 0");
  const bool f32 = arrays[0].dtype().equal(py::dtype::of<float>());
  std::vector<void*> data;
  for (int k = 0; k < reads; ++k) {
    const py::array& a = arrays[static_cast<std::size_t>(k)];
    const bool same = a.dtype().equal(f32 ? py::dtype::of<float>() : py::dtype::of<double>());
    if (!same || a.size() != arrays[0].size() || !(a.flags() & py::array::c_style) ||
        !(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) || !a.writeable())
      throw py::value_error("roofline: arrays must be writeable, aligned, C-contiguous, of one "
                            "size and dtype (float32 or float64)");
    data.push_back(const_cast<void*>(a.data()));
  }
  // The kernel's pointers are restrict: the arrays must not overlap.
  const auto bytes = static_cast<std::uintptr_t>(arrays[0].nbytes());
  for (int j = 0; j < reads; ++j)
    for (int k = j + 1; k < reads; ++k) {
      const auto a = reinterpret_cast<std::uintptr_t>(data[j]);
      const auto b = reinterpret_cast<std::uintptr_t>(data[k]);
      if (bytes > 0 && a < b + bytes && b < a + bytes)
        throw py::value_error("roofline: the arrays must not share memory");
    }
  const auto n = static_cast<std::int64_t>(arrays[0].size());
  const RooflineLaunch launch{data.data(), reads,   writes, n, f32 ? DType::f32 : DType::f64,
                              threads_for(n), passes};
  py::gil_scoped_release release;
  roofline_kernels().run(launch);
}

}  // namespace

void register_roofline(py::module_& m) {
  m.def("roofline", &roofline, py::arg("arrays"), py::arg("writes"), py::arg("passes"));
}

}  // namespace fusedopt::bindings

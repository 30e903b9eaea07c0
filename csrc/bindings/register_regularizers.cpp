// Regularizer value and gradient kernels behind fusedopt.L1/L2/ElasticNet.
// Arguments are validated in Python; the checks here only keep a bad call
// from reaching memory it should not.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include "fusedopt/regularizer.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

RegSegment segment(const py::array& a, bool writeable, const char* what) {
  const bool f32 = a.dtype().equal(py::dtype::of<float>());
  const bool f64 = a.dtype().equal(py::dtype::of<double>());
  if (!(f32 || f64) || !(a.flags() & py::array::c_style) ||
      !(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) || (writeable && !a.writeable()))
    throw py::type_error(std::string("internal: ") + what + " was not validated");
  return {a.data(), writeable ? const_cast<void*>(a.data()) : nullptr,
          static_cast<std::int64_t>(a.size()), f32 ? DType::f32 : DType::f64};
}

double value(const py::list& arrays, double l1, double l2) {
  std::vector<RegSegment> segments;
  std::vector<py::array> keep;
  for (py::handle h : arrays) {
    keep.push_back(py::reinterpret_borrow<py::array>(h));
    segments.push_back(segment(keep.back(), false, "w"));
  }
  py::gil_scoped_release release;
  return regularizer_value(segments, l1, l2);
}

void grad(const py::array& w, const py::array& out, double l1, double l2, bool accumulate) {
  RegSegment s = segment(w, false, "w");
  const RegSegment o = segment(out, true, "out");
  if (o.size != s.size || o.dtype != s.dtype)
    throw py::value_error("internal: out does not match w");
  s.out = o.out;
  const std::vector<RegSegment> segments{s};
  py::gil_scoped_release release;
  regularizer_grad(segments, l1, l2, accumulate);
}

}  // namespace

void register_regularizers(py::module_& m) {
  m.def("regularizer_value", &value, py::arg("arrays"), py::arg("l1"), py::arg("l2"));
  m.def("regularizer_grad", &grad, py::arg("w"), py::arg("out"), py::arg("l1"), py::arg("l2"),
        py::arg("accumulate"));
}

}  // namespace fusedopt::bindings

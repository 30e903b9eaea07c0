#pragma once
// What the torch adapter (python/fusedopt/torch.py) needs to know about a
// torch.Tensor, read through the Python C API. fusedopt is not built against
// libtorch; a Python-level loop over the tensors would cost more than the
// update of small tensors.
#include <pybind11/pybind11.h>

#include <cstdint>
#include <vector>

#include "fusedopt/dtype.hpp"

namespace fusedopt::bindings {

class TorchTensors {
 public:
  // torch.float32, torch.float64 and torch.strided: passed in once by the
  // adapter, so that this file never imports torch.
  TorchTensors(pybind11::object float32, pybind11::object float64, pybind11::object strided)
      : float32_(std::move(float32)), float64_(std::move(float64)), strided_(std::move(strided)) {}

  std::uintptr_t data_ptr(pybind11::handle tensor) const {
    pybind11::object ptr = call(tensor, data_ptr_);
    const auto value = PyLong_AsUnsignedLongLong(ptr.ptr());
    if (PyErr_Occurred()) throw pybind11::error_already_set();
    return static_cast<std::uintptr_t>(value);
  }

  // Parameter i's gradient as the kernels may read it: `readable` false when
  // p.grad must be converted first (`grad` is then p.grad, `data` unset).
  struct Gradient {
    pybind11::object grad;  // None when p.grad is None
    std::uintptr_t data = 0;
    bool readable = true;
  };

  // A full check costs ~0.4 us (five attribute calls into torch), more than
  // the update of a small tensor, so a gradient that passed is remembered,
  // weakly (it must not outlive its owner): while the same tensor object is
  // p.grad, its storage is alive and it starts at the same address, it is
  // read without the checks. The storage being alive keeps that address
  // from being reused, so the read stays within memory checked before. Not
  // noticed: in-place stride or size changes of that same tensor that keep
  // its address (g.t_(), g.as_strided_(), g.resize_() to fewer elements).
  // Remembering costs ~0.3 us itself, wasted when every step brings new
  // gradient tensors (zero_grad(set_to_none=True)): after a few misses in a
  // row it is done only every 16th step, which still finds reused ones.
  Gradient gradient(std::size_t i, pybind11::handle param, DType dtype, std::int64_t numel) {
    if (checked_.size() <= i) checked_.resize(i + 1);
    Gradient out;
    out.grad = get(param, grad_);
    if (out.grad.is_none()) return out;
    Checked& known = checked_[i];
    if (known.grad && refers_to(known.grad, out.grad.ptr()) && refers_to(known.storage, nullptr)) {
      out.data = data_ptr(out.grad);
      if (out.data == known.data) {
        known.misses = 0;
        return out;
      }
    }
    if (!readable_as(out.grad, dtype, numel)) {
      out.readable = false;
      return out;
    }
    out.data = data_ptr(out.grad);
    if (out.data == 0 && numel > 0) {  // its storage was freed (resize_(0)): let torch say so
      out.readable = false;
      return out;
    }
    const std::uint32_t misses = known.misses + 1;
    if (misses <= 2 || misses % 16 == 0)
      known = {pybind11::weakref(out.grad), pybind11::weakref(call(out.grad, untyped_storage_)),
               out.data, misses};
    else
      known = {{}, {}, 0, misses};
    return out;
  }

 private:
  // Whether the weak reference's object is alive and, if `object` is given, is it.
  static bool refers_to(const pybind11::weakref& ref, PyObject* object) {
#if PY_VERSION_HEX >= 0x030D0000
    PyObject* target = nullptr;
    if (PyWeakref_GetRef(ref.ptr(), &target) < 0) throw pybind11::error_already_set();
    Py_XDECREF(target);  // compared by address only; the caller holds `object`
#else
    PyObject* target = PyWeakref_GetObject(ref.ptr());
    if (target == Py_None) target = nullptr;
#endif
    return target != nullptr && (object == nullptr || target == object);
  }

  // Whether the kernels may read `g` as `numel` contiguous elements of
  // `dtype` on the CPU. The .grad setter checks shape, dtype and device, but
  // `p.grad.data = t` bypasses it, so everything memory safety rests on is
  // checked here; the layout first, since a sparse tensor has no strides.
  bool readable_as(pybind11::handle g, DType dtype, std::int64_t numel) const {
    if (!get(g, layout_).is(strided_)) return false;
    if (!get(g, dtype_).is(dtype == DType::f32 ? float32_ : float64_)) return false;
    if (!get(g, is_cpu_).is(pybind11::handle(Py_True))) return false;
    return sized_and_contiguous(g, numel);
  }

  bool sized_and_contiguous(pybind11::handle g, std::int64_t numel) const {
    if (pybind11::int_(call(g, numel_)).cast<std::int64_t>() != numel) return false;
    return call(g, is_contiguous_).is(pybind11::handle(Py_True));
  }

  static pybind11::object get(pybind11::handle obj, const pybind11::str& name) {
    PyObject* value = PyObject_GetAttr(obj.ptr(), name.ptr());
    if (value == nullptr) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(value);
  }

  static pybind11::object call(pybind11::handle obj, const pybind11::str& method) {
    PyObject* value = PyObject_CallMethodNoArgs(obj.ptr(), method.ptr());
    if (value == nullptr) throw pybind11::error_already_set();
    return pybind11::reinterpret_steal<pybind11::object>(value);
  }

  struct Checked {
    pybind11::weakref grad, storage;
    std::uintptr_t data = 0;
    std::uint32_t misses = 0;  // gradients checked in a row without a hit
  };

  pybind11::object float32_, float64_, strided_;
  std::vector<Checked> checked_;
  pybind11::str grad_{"grad"}, data_ptr_{"data_ptr"}, layout_{"layout"}, dtype_{"dtype"},
      is_cpu_{"is_cpu"}, numel_{"numel"}, is_contiguous_{"is_contiguous"},
      untyped_storage_{"untyped_storage"};
};

}  // namespace fusedopt::bindings

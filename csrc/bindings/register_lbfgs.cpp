// fusedopt._core.lbfgs_minimize: runs the C++ solver with the GIL released and
// takes it back only to call the user's function and callback; options are
// read by solver_options.hpp and checked by LbfgsOptions::validate. Also
// torch.optim.LBFGS's step (fusedopt.torch.LBFGS).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "fusedopt/lbfgs.hpp"
#include "fusedopt/torch_lbfgs.hpp"
#include "py_callbacks.hpp"
#include "register.hpp"
#include "solver_options.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

// Runs `session` from x (updated in place) on the user's fun; the GIL is
// released except inside fun and callback.
py::dict run_with(LbfgsSession& session, const py::object& fun, const py::array& x_array,
                  const Shape& shape, const py::tuple& args, const py::object& callback,
                  const std::string& gradient_from = "fun") {
  auto x = solver_x(x_array);
  const auto n = static_cast<std::int64_t>(x.size());
  if (n != session.size()) throw py::value_error("x has a different size than the session");
  const Objective objective = python_objective(fun, args, shape, n, gradient_from);
  const IterationCallback on_iteration = python_callback(callback, shape, n);

  SolverResult result;
  {
    py::gil_scoped_release release;
    result = session.run(objective, x.mutable_data(), on_iteration);
  }
  return result_dict(result, shape, n);
}

std::unique_ptr<LbfgsSession> make_session(std::int64_t n, const py::dict& options,
                                           const py::object& l1, const py::object& step_scale) {
  return std::make_unique<LbfgsSession>(n, read_lbfgs_options(options, l1, step_scale));
}

py::dict lbfgs_minimize(const py::object& fun, const py::array& x, const Shape& shape,
                        const py::tuple& args, const py::dict& options, const py::object& l1,
                        const py::object& step_scale, const py::object& callback,
                        const std::string& gradient_from) {
  const auto session =
      make_session(static_cast<std::int64_t>(x.size()), options, l1, step_scale);
  return run_with(*session, fun, x, shape, args, callback, gradient_from);
}

// One torch.optim.LBFGS step(closure) from x (updated in place): fun(x) is the
// closure at x, returning (loss, flat gradient).
py::dict torch_lbfgs_step(TorchLbfgs& self, const py::object& fun, const py::array& x_array,
                          const TorchLbfgsOptions& options) {
  auto x = solver_x(x_array);
  const auto n = static_cast<std::int64_t>(x.size());
  if (n != self.size()) throw py::value_error("x has a different size than the session");
  const Shape shape{static_cast<py::ssize_t>(n)};
  const py::tuple no_args;
  const Objective objective = python_objective(fun, no_args, shape, n);
  TorchLbfgsStep result;
  {
    py::gil_scoped_release release;
    result = self.step(objective, x.mutable_data(), options);
  }
  py::dict out;
  out["first_loss"] = result.first_loss;
  out["n_iter"] = result.n_iter;
  out["func_evals"] = result.func_evals;
  return out;
}

TorchLbfgsOptions torch_lbfgs_options(double lr, std::int64_t max_iter, std::int64_t max_eval,
                                      double tolerance_grad, double tolerance_change,
                                      bool strong_wolfe) {
  return {lr, max_iter, max_eval, tolerance_grad, tolerance_change, strong_wolfe};
}

}  // namespace

void register_lbfgs(py::module_& m) {
  py::class_<TorchLbfgsOptions>(m, "TorchLbfgsOptions")
      .def(py::init(&torch_lbfgs_options), py::arg("lr"), py::arg("max_iter"),
           py::arg("max_eval"), py::arg("tolerance_grad"), py::arg("tolerance_change"),
           py::arg("strong_wolfe"));
  py::class_<TorchLbfgs>(m, "TorchLbfgs")
      .def(py::init<std::int64_t, int>(), py::arg("n"), py::arg("history_size"))
      .def("step", &torch_lbfgs_step, py::arg("fun"), py::arg("x"), py::arg("options"),
           "torch.optim.LBFGS's step from x (updated in place); fun(x) -> (loss, grad).");
  m.def("lbfgs_minimize", &lbfgs_minimize, py::arg("fun"), py::arg("x"), py::arg("shape"),
        py::arg("args"), py::arg("options"), py::arg("l1"), py::arg("step_scale"),
        py::arg("callback"), py::arg("gradient_from") = "fun",
        "Minimize with L-BFGS (OWL-QN if l1 > 0); x (float64, C-contiguous) holds the "
        "result.");
}

}  // namespace fusedopt::bindings

// fusedopt._core.lbfgs_minimize: runs the C++ solver with the GIL released and
// takes it back only to call the user's function and callback. Options were
// validated in Python (fusedopt/minimize.py); LbfgsParams::validate checks again.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fusedopt/lbfgs.hpp"
#include "fusedopt/torch_lbfgs.hpp"
#include "py_callbacks.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

LbfgsParams parse_params(const py::dict& options, double l1) {
  LbfgsParams p;
  p.history_size = options["history_size"].cast<int>();
  p.max_iter = options["max_iter"].cast<std::int64_t>();
  p.max_fev = options["max_fev"].cast<std::int64_t>();
  p.gtol = options["gtol"].cast<double>();
  p.ftol = options["ftol"].cast<double>();
  const auto kind = options["line_search"].cast<std::string>();
  p.line_search = kind == "backtracking" ? LineSearchKind::backtracking : LineSearchKind::strong_wolfe;
  p.max_ls = options["max_ls"].cast<int>();
  p.c1 = options["c1"].cast<double>();
  p.c2 = options["c2"].cast<double>();
  p.backtracking_wolfe = options["backtracking_wolfe"].cast<bool>();
  p.l1 = l1;
  if (options.contains("step_scale")) p.step_scale = options["step_scale"].cast<double>();
  try {
    p.validate();
  } catch (const std::invalid_argument& e) {
    throw py::value_error(e.what());
  }
  return p;
}

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

  LbfgsResult result;
  {
    py::gil_scoped_release release;
    result = session.run(objective, x.mutable_data(), on_iteration);
  }
  py::dict out;
  out["fun"] = result.f;
  out["jac"] = user_x(result.g.data(), shape, n);
  out["nit"] = result.nit;
  out["nfev"] = result.nfev;
  out["status"] = static_cast<int>(result.status);
  out["message"] = result.message;
  return out;
}

std::unique_ptr<LbfgsSession> make_session(std::int64_t n, const py::dict& options, double l1) {
  const LbfgsParams params = parse_params(options, l1);
  return std::make_unique<LbfgsSession>(n, params);
}

py::dict lbfgs_minimize(const py::object& fun, const py::array& x, const Shape& shape,
                        const py::tuple& args, const py::dict& options, double l1,
                        const py::object& callback, const std::string& gradient_from) {
  const auto session = make_session(static_cast<std::int64_t>(x.size()), options, l1);
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
      .def_property_readonly("size", &TorchLbfgs::size)
      .def("step", &torch_lbfgs_step, py::arg("fun"), py::arg("x"), py::arg("options"),
           "torch.optim.LBFGS's step from x (updated in place); fun(x) -> (loss, grad).");
  py::class_<LbfgsSession>(m, "LbfgsSession")
      .def(py::init(&make_session), py::arg("n"), py::arg("options"), py::arg("l1"))
      .def_property_readonly("size", &LbfgsSession::size)
      .def(
          "run",
          [](LbfgsSession& self, const py::object& fun, const py::array& x,
             const Shape& shape, const py::tuple& args,
             const py::object& callback) { return run_with(self, fun, x, shape, args, callback); },
          py::arg("fun"), py::arg("x"), py::arg("shape"), py::arg("args"), py::arg("callback"),
          "Continue minimizing from x (updated in place) with the history of earlier runs.");
  m.def("lbfgs_minimize", &lbfgs_minimize, py::arg("fun"), py::arg("x"), py::arg("shape"),
        py::arg("args"), py::arg("options"), py::arg("l1"), py::arg("callback"),
        py::arg("gradient_from") = "fun",
        "Minimize with L-BFGS (OWL-QN if l1 > 0); x (float64, C-contiguous) holds the "
        "result.");
}

}  // namespace fusedopt::bindings

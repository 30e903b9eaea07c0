#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <omp.h>

#include <string>
#include <vector>

#include "fusedopt/dispatch.hpp"
#include "fusedopt/thread_pool.hpp"
#include "register.hpp"

namespace py = pybind11;

namespace fusedopt::bindings {
namespace {

std::vector<std::string> names(const std::vector<Isa>& isas) {
  std::vector<std::string> out;
  for (Isa isa : isas) out.emplace_back(isa_name(isa));
  return out;
}

std::vector<std::string> compiled_isas() {
  std::vector<Isa> isas;
  for (Isa isa : {Isa::baseline, Isa::avx2, Isa::avx512})
    if (isa_compiled(isa)) isas.push_back(isa);
  return names(isas);
}

}  // namespace

void register_info(py::module_& m) {
  m.def("current_isa", [] { return std::string(isa_name(current_isa())); });
  m.def("available_isas", [] { return names(available_isas()); });
  m.def("compiled_isas", &compiled_isas);
  m.def("set_isa", [](const std::string& name) {
    try {
      set_isa(parse_isa(name));
    } catch (const std::invalid_argument& e) {
      throw py::value_error(e.what());
    }
  });
  m.def("num_threads", &num_threads);
  m.def("set_num_threads", [](int n) {
    if (n < 0) throw py::value_error("num_threads must be >= 0, got " + std::to_string(n));
    set_num_threads(n);
  });
  // For tests of the parallel split's invariants (fusedopt/thread_pool.hpp).
  m.def(
      "chunk_layout",
      [](int threads, std::int64_t total, std::int64_t granule) {
        if (granule < 1 || (granule & (granule - 1)) != 0)
          throw py::value_error("granule must be a power of two, got " + std::to_string(granule));
        if (total % granule != 0)
          throw py::value_error("total must be a multiple of granule");
        std::vector<std::int64_t> bounds(kMaxChunks + 1);
        const auto count = chunk_layout(threads, total, bounds.data(), granule);
        bounds.resize(static_cast<std::size_t>(count) + 1);
        return bounds;
      },
      py::arg("threads"), py::arg("total"), py::arg("granule") = 1);
  m.def("openmp_max_threads", [] { return omp_get_max_threads(); });
  m.def("openmp_version", [] { return _OPENMP; });
}

}  // namespace fusedopt::bindings

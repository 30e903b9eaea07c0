#pragma once
// Running the checks fields() declares (fusedopt/solver.hpp), and the message
// format they share: "<name> must be <what>, got <value>", the value shown as
// Python's repr would show it.
#include <cstdint>
#include <string>

namespace fusedopt::solver {

// A float as Python's repr: shortest round trip, "1.0", "nan", "inf".
std::string shown(double value);

[[noreturn]] void fail(const std::string& message);
[[noreturn]] void fail(const char* name, const std::string& what, const std::string& value);

// A visitor for fields(): runs each declared check.
inline constexpr auto run_check = [](const char* name, const auto& value, const auto& check) {
  check.check(name, value);
};

// Runs the check of every option Options::fields() declares.
template <class Options>
void check_fields(const Options& options) {
  Options::fields(options, run_check);
}

}  // namespace fusedopt::solver

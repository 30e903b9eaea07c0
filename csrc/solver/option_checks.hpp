#pragma once
// The checks behind every solver's validate(): each throws
// std::invalid_argument with a message that names the option and shows the
// value as Python would (fo.minimize's errors come from here).
#include <cstdint>
#include <limits>
#include <string>

namespace fusedopt::solver {

// value as Python's repr shows a float: shortest round trip, "1.0", "nan", "inf".
std::string shown(double value);

[[noreturn]] void fail(const std::string& message);

void check_int(const char* name, std::int64_t value, std::int64_t lo,
               std::int64_t hi = std::numeric_limits<std::int64_t>::max());
// A finite number >= 0.
void check_nonneg(const char* name, double value);
// A finite number > 0.
void check_positive(const char* name, double value);
// lo < value < hi; `interval` writes it for the message, e.g. "(c1, 1)".
void check_open_interval(const char* name, double value, double lo, double hi,
                         const char* interval);

}  // namespace fusedopt::solver

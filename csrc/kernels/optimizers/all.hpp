// Every optimizer's kernel, one include per entry of FUSEDOPT_OPTIMIZERS
// (fusedopt/optimizers.hpp). Include only inside the ISA namespace.
#include "common.hpp"

#include "adadelta_kernel.hpp"
#include "adagrad_kernel.hpp"
#include "adam_kernel.hpp"
#include "adamax_kernel.hpp"
#include "asgd_kernel.hpp"
#include "lion_kernel.hpp"
#include "nadam_kernel.hpp"
#include "radam_kernel.hpp"
#include "rmsprop_kernel.hpp"
#include "rprop_kernel.hpp"
#include "sgd_kernel.hpp"

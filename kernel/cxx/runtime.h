/* C++ runtime support for the freestanding kernel. */
#pragma once

namespace cxx {
/* Runs the .init_array entries: call once, first thing at boot. */
void run_global_constructors();
} // namespace cxx

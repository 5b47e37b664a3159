/* x87/SSE state per thread; see fpu.h. */
#include "arch/x86_64/fpu.h"

#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "lib/string.h"

namespace fpu {

namespace {

/* All SIMD exceptions masked, round to nearest (SDM Vol. 1, "MXCSR Control and
 * Status Register": its power-on value). */
constexpr uint32_t MXCSR_DEFAULT = 0x1F80;

State initial_state;

} // namespace

void init()
{
    cpu::write_cr0((cpu::read_cr0() | CR0_MP) & ~(CR0_EM | CR0_TS));
    cpu::write_cr4(cpu::read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    cpu::fninit();
    cpu::ldmxcsr(MXCSR_DEFAULT);
    cpu::fxsave(&initial_state);
}

void set_initial(State& state) { memcpy(&state, &initial_state, sizeof(State)); }

void switch_state(State& save, const State& load)
{
    cpu::fxsave(&save);
    cpu::fxrstor(&load);
}

} // namespace fpu

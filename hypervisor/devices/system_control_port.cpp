/* Port 0x61; see system_control_port.h. */
#include "hypervisor/devices/system_control_port.h"

namespace devices {

uint32_t SystemControlPort::read(uint16_t, unsigned, uint64_t now_ns)
{
    refresh_ = !refresh_;
    uint8_t value = control_;
    if (refresh_)
        value |= REFRESH_TOGGLE;
    if (pit_.output(2, now_ns))
        value |= TIMER2_OUTPUT;
    return value;
}

void SystemControlPort::write(uint16_t, unsigned, uint32_t value, uint64_t now_ns)
{
    control_ = uint8_t(value & (TIMER2_GATE | SPEAKER_DATA | NMI_CHECKS));
    pit_.set_gate(2, control_ & TIMER2_GATE, now_ns);
}

} // namespace devices

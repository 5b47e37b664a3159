/* PC/AT system control port B at 0x61: the gate of PIT channel 2, the PC speaker
 * data bit, and the read-only status kernels poll (channel 2's OUT for TSC
 * calibration, the DRAM refresh toggle for short delays). Bit layout from the
 * IBM PC/AT Technical Reference, as the Intel PIIX datasheet's "NMI Status and
 * Control Register" keeps it. */
#pragma once
#include "hypervisor/devices/pit8254.h"

namespace devices {

class SystemControlPort final : public PortDevice {
public:
    static constexpr uint16_t PORT = 0x61;
    static constexpr uint8_t TIMER2_GATE = 0x01;    /* read/write */
    static constexpr uint8_t SPEAKER_DATA = 0x02;   /* read/write */
    static constexpr uint8_t NMI_CHECKS = 0x0C;     /* parity/IOCHK enables: stored only */
    static constexpr uint8_t REFRESH_TOGGLE = 0x10; /* read only */
    static constexpr uint8_t TIMER2_OUTPUT = 0x20;  /* read only */

    /* Bit 0 starts clear, so channel 2's gate starts low as after a reset. */
    explicit SystemControlPort(Pit8254& pit) : pit_(pit) { pit_.set_gate(2, false, 0); }

    bool handles(uint16_t port) const override { return port == PORT; }
    /* The refresh bit toggles on every read: real hardware toggles it every
     * 15 us, and kernels only wait for it to change. Bits 6-7 (parity and IOCHK
     * NMI sources) read as 0: there are no such errors here. */
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* The speaker sounds while channel 2 is gated and its output is enabled. */
    bool speaker_enabled() const { return (control_ & (TIMER2_GATE | SPEAKER_DATA)) == (TIMER2_GATE | SPEAKER_DATA); }

private:
    Pit8254& pit_;
    uint8_t control_ = 0; /* the writable bits 0-3 */
    bool refresh_ = false;
};

} // namespace devices

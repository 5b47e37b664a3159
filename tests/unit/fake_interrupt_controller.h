/* An interrupt controller for device-model tests: records each line's level and
 * counts its rising edges, which is what an edge-triggered 8259A latches. */
#pragma once
#include "hypervisor/devices/port_device.h"

struct FakeInterruptController final : devices::InterruptController {
    bool level[16] = {};
    unsigned rising_edges[16] = {};

    void set_irq_level(unsigned irq, bool high) override
    {
        if (irq >= 16)
            return;
        if (high && !level[irq])
            ++rising_edges[irq];
        level[irq] = high;
    }
};

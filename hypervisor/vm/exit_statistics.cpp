/* Exit statistics; see exit_statistics.h. */
#include "hypervisor/vm/exit_statistics.h"

void ExitStatistics::record(const ExitEvent& event)
{
    ++total;
    guest_cycles += event.guest_cycles;
    handler_cycles += event.handler_cycles;
    entry_cycles += event.entry_cycles;
    if (event.entry_failure)
        ++entry_failures;
    if (event.reason < REASONS) {
        ++by_reason[event.reason].count;
        by_reason[event.reason].cycles += event.handler_cycles;
    }
    if (event.hypercall != ExitEvent::NO_HYPERCALL) {
        ExitCounter& counter = hypercalls[event.hypercall < HYPERCALLS - 1 ? event.hypercall : HYPERCALLS - 1];
        ++counter.count;
        counter.cycles += event.handler_cycles;
    }
    if (event.port != ExitEvent::NO_PORT) {
        PortCounter& counter = counter_for(event.port);
        ++(event.port_in ? counter.reads : counter.writes);
        counter.cycles += event.handler_cycles;
    }
}

PortCounter& ExitStatistics::counter_for(uint32_t port)
{
    for (size_t i = 0; i < port_count; ++i) {
        if (ports[i].port == port)
            return ports[i];
    }
    if (port_count == PORTS)
        return other_ports;
    ports[port_count].port = port;
    return ports[port_count++];
}

const PortCounter* ExitStatistics::port_counter(uint32_t port) const
{
    for (size_t i = 0; i < port_count; ++i) {
        if (ports[i].port == port)
            return &ports[i];
    }
    return nullptr;
}

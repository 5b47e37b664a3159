/* Exit statistics; see exit_statistics.h. */
#include "hypervisor/vm/exit_statistics.h"

void ExitStatistics::record_port(const ExitEvent& event)
{
    PortCounter& counter = counter_for(event.port);
    ++(event.port_in ? counter.reads : counter.writes);
    counter.cycles += event.handler_cycles;
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

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
    if (last_port_ < port_count && ports[last_port_].port == port)
        return ports[last_port_];
    for (size_t i = 0; i < port_count; ++i) {
        if (ports[i].port == port) {
            last_port_ = i;
            return ports[i];
        }
    }
    if (port_count == PORTS)
        return other_ports;
    ports[port_count].port = port;
    last_port_ = port_count;
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

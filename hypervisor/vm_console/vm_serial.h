/* A VM's COM1 from the host, as `virsh console` gives it: the host sends a VM
 * text (vm send), or attaches the host's own COM1 terminal to it (vm attach)
 * until Ctrl-] (0x1D, telnet's escape) brings the host's shell back; Ctrl-]
 * Ctrl-] types one Ctrl-] into the VM instead (detach_escape.h), which is how a
 * VM that is attached to its own guest is told to detach from it.
 *
 * Host input waits in the VM's pending input queue (VirtualPlatform::send_serial)
 * until the guest's UART has room, so nothing beyond the 16-byte FIFO is lost.
 * While attached, each byte the host's COM1 receives goes to the VM raw (the
 * host's terminal and shell never see it, so nothing is echoed twice), and the
 * guest's COM1 output is shown on the host's COM1 as the guest writes it, every
 * line still starting with "[vmN] ": the harness and the reader can always tell
 * a guest's line from the host's, and the guest's prompt and echo appear as
 * typed instead of once the line is complete. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace vm_serial {

/* Hooks COM1's input (call after console_input::init_serial_input()). */
void init();

/* Queues `count` bytes for VM `vm_id`'s COM1: how many were queued (fewer when
 * its queue is full), -ESRCH when it does not run, -EAGAIN when nothing fit. */
[[nodiscard]] int64_t send(int vm_id, const uint8_t* bytes, size_t count);

enum class AttachEnd { detach_key, vm_ended };
/* Attaches the host's COM1 to VM `vm_id` and sleeps until a detach (Ctrl-],
 * detach_escape.h) or the VM's end: 0 (AttachEnd::detach_key) or 1 (vm_ended); -ESRCH when the VM does not
 * run, -EBUSY when COM1 is attached already. Keys the VM's full input queue
 * refused (a paste the guest does not read) are counted in a log line then. */
[[nodiscard]] int64_t attach(int vm_id);
/* The VM COM1 is attached to, 0 when none. */
int attached();

} // namespace vm_serial

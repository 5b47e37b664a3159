/* Guest lines on the host console; see guest_text.h. */
#include "hypervisor/devices/guest_text.h"

#include "lib/format.h"

namespace devices {

void relay_guest_line(int vm_id, const char* channel, const char* text, size_t length, PieceWriter write)
{
    char piece[RELAY_PIECE];
    size_t used = format_string(piece, sizeof(piece), "[vm%d%s] ", vm_id, channel);
    if (used >= sizeof(piece))
        used = sizeof(piece) - 1;
    for (;;) {
        /* One byte stays free for the newline that ends the last piece. */
        while (length > 0 && used < sizeof(piece) - 1) {
            piece[used++] = printable_guest_char(*text++);
            --length;
        }
        if (length == 0)
            break;
        write(piece, used);
        used = 0;
    }
    piece[used++] = '\n';
    write(piece, used);
}

} // namespace devices

/* Test guest "screen_keys": a kernel that talks to the host only through the VGA
 * text screen and the PS/2 keyboard, as `vm screen` and `vm keys` see them. It
 * writes a prompt at 0xB8000, polls the 8042 (status port 0x64 bit 0, data port
 * 0x60) for scancode set 1, echoes what is typed, and after each Enter writes
 * "you typed: LINE". After the second line it ends with `cli; hlt`, which the
 * host must report as halted with the screen still readable. No hypercall, no
 * serial port, no debug port: the screen is its only output.
 * Follows the OSDev wiki articles "8042 PS/2 Controller" and "PS/2 Keyboard"
 * (scancode set 1) and the IBM VGA Technical Reference (text buffer layout). */
#include "common/guest.h"
#include "common/port_io.h"

#include <stddef.h>

namespace guest {

const char GUEST_NAME[] = "screen_keys";

namespace {

constexpr int COLUMNS = 80;
constexpr uint16_t ATTRIBUTE = 0x0700; /* light grey on black */
constexpr size_t LINE_MAX = 60;

volatile uint16_t* const screen = reinterpret_cast<volatile uint16_t*>(0xB8000);

void put_text(int row, int column, const char* text)
{
    for (; *text && column < COLUMNS; ++text, ++column)
        screen[row * COLUMNS + column] = uint16_t(ATTRIBUTE | uint8_t(*text));
}

void clear_screen()
{
    for (int cell = 0; cell < COLUMNS * 25; ++cell)
        screen[cell] = uint16_t(ATTRIBUTE | ' ');
}

/* Set 1 make codes 0x02-0x39 of a US keyboard, unshifted and shifted; 0: none. */
constexpr char PLAIN[] = "\0\0" "1234567890-=\0\0" "qwertyuiop[]\0\0" "asdfghjkl;'`\0\\" "zxcvbnm,./\0\0\0 ";
constexpr char SHIFTED[] = "\0\0" "!@#$%^&*()_+\0\0" "QWERTYUIOP{}\0\0" "ASDFGHJKL:\"~\0|" "ZXCVBNM<>?\0\0\0 ";
static_assert(sizeof(PLAIN) == 0x3A + 1 && sizeof(SHIFTED) == sizeof(PLAIN));

uint8_t read_scancode()
{
    while (!(in8(0x64) & 1)) /* output buffer full */
        ;
    return in8(0x60);
}

/* Reads one line into `line` (echoed on `row` after the prompt) until Enter. */
size_t read_line(int row, char* line)
{
    put_text(row, 0, "> ");
    size_t length = 0;
    bool shift = false;
    for (;;) {
        uint8_t code = read_scancode();
        if (code == 0x2A || code == 0x36 || code == 0xAA || code == 0xB6) {
            shift = !(code & 0x80);
            continue;
        }
        if (code & 0x80) /* a release */
            continue;
        if (code == 0x1C) { /* Enter */
            line[length] = '\0';
            return length;
        }
        char c = code < sizeof(PLAIN) - 1 ? (shift ? SHIFTED : PLAIN)[code] : '\0';
        if (c && length < LINE_MAX) {
            line[length++] = c;
            line[length] = '\0';
            put_text(row, 2, line);
        }
    }
}

} // namespace

void guest_main()
{
    clear_screen();
    put_text(0, 0, "screen_keys guest: type two lines");
    char line[LINE_MAX + 1];
    for (int round = 0; round < 2; ++round) {
        int row = 1 + round * 2;
        read_line(row, line);
        put_text(row + 1, 0, "you typed: ");
        put_text(row + 1, 11, line);
    }
    put_text(5, 0, "halting with interrupts off");
    asm volatile("cli; hlt");
    /* Never reached under the hypervisor: nothing can wake the guest. */
    for (;;)
        asm volatile("hlt");
}

} // namespace guest

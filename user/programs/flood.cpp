/* flood: writes many numbered lines to the first VGA terminal (/dev/tty1), so
 * that a run scrolls the screen far beyond one page: the launcher's test that
 * Bochs' text display never stalls a run (tests/system/test_launcher.py).
 *   flood [LINES]    (10000 by default) */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    long lines = argc > 1 ? strtol(argv[1], nullptr, 10) : 10000;
    if (lines <= 0) {
        dprintf(2, "flood: %s is not a number of lines\n", argv[1]);
        return 2;
    }
    int screen = open("/dev/tty1", O_WRONLY);
    if (screen < 0) {
        dprintf(2, "flood: cannot open /dev/tty1\n");
        return 1;
    }
    for (long i = 1; i <= lines; ++i) {
        char line[64];
        int length = snprintf(line, sizeof(line), "flood line %ld of %ld\n", i, lines);
        if (write(screen, line, size_t(length)) != length) {
            dprintf(2, "flood: writing line %ld failed\n", i);
            return 1;
        }
    }
    close(screen);
    /* An emulator redraws its window a few times a second: half a second more
     * on screen lets it show the last lines before the run powers off. */
    sleep_ms(500);
    printf("flood: wrote %ld lines to /dev/tty1\n", lines);
    return 0;
}

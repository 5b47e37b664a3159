/* keys: shows the byte each key sends, one line per byte, until q: what the
 * terminal passes on, control keys included (Ctrl-] is 0x1d), which the shell's
 * line editor would swallow. */
#include <stdio.h>
#include <unistd.h>

int main()
{
    printf("keys: type keys to see their bytes; q ends.\n");
    for (;;) {
        unsigned char byte;
        if (read(STDIN_FILENO, &byte, 1) != 1)
            return 1;
        if (byte == 'q')
            return 0;
        if (byte >= 0x20 && byte < 0x7F)
            printf("key 0x%02x '%c'\n", byte, byte);
        else
            printf("key 0x%02x\n", byte);
    }
}

/* poweroff: turns the machine off. `poweroff N` passes status N: 0 (the default)
 * tells a test harness the run passed. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char** argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 0;
    poweroff(status);
    dprintf(STDERR_FILENO, "poweroff: %s\n", strerror(errno));
    return 1;
}

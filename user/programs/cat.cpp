/* cat: copies each named file (or standard input without names) to standard output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

/* Copies `fd` to standard output; false on a read or write error. */
bool copy_out(int fd)
{
    static char buffer[4096];
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof(buffer));
        if (got == 0)
            return true;
        if (got < 0)
            return false;
        for (ssize_t done = 0; done < got;) {
            ssize_t written = write(STDOUT_FILENO, buffer + done, size_t(got - done));
            if (written <= 0)
                return false;
            done += written;
        }
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2)
        return copy_out(STDIN_FILENO) ? 0 : 1;
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0 || !copy_out(fd)) {
            dprintf(STDERR_FILENO, "cat: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
        if (fd >= 0)
            close(fd);
    }
    return status;
}

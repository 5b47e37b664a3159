/* cp: copies file SOURCE to DESTINATION; a destination that is a directory gets
 * a file of the source's name inside it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool copy_data(int from, int to)
{
    static char buffer[8192];
    for (;;) {
        ssize_t got = read(from, buffer, sizeof(buffer));
        if (got <= 0)
            return got == 0;
        for (ssize_t done = 0; done < got;) {
            ssize_t written = write(to, buffer + done, size_t(got - done));
            if (written <= 0)
                return false;
            done += written;
        }
    }
}

const char* base_name(const char* path)
{
    const char* slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3) {
        dprintf(STDERR_FILENO, "usage: cp SOURCE DESTINATION\n");
        return 2;
    }
    const char* source = argv[1];
    char destination[PATH_MAX];
    struct stat st;
    if (stat(argv[2], &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(destination, sizeof(destination), "%s/%s", argv[2], base_name(source));
    else
        snprintf(destination, sizeof(destination), "%s", argv[2]);

    int from = open(source, O_RDONLY);
    if (from < 0) {
        dprintf(STDERR_FILENO, "cp: %s: %s\n", source, strerror(errno));
        return 1;
    }
    int to = open(destination, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (to < 0) {
        dprintf(STDERR_FILENO, "cp: %s: %s\n", destination, strerror(errno));
        close(from);
        return 1;
    }
    bool ok = copy_data(from, to);
    if (!ok)
        dprintf(STDERR_FILENO, "cp: %s: %s\n", source, strerror(errno));
    close(from);
    close(to);
    return ok ? 0 : 1;
}

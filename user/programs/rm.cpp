/* rm: removes files; with -r also directories and everything in them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool remove_path(const char* path, bool recursive);

/* Removes everything inside directory `path`. Reads one batch of entries, removes
 * them, and reads again from the start, so that removal never invalidates the
 * directory offset being read. */
bool remove_contents(const char* path)
{
    for (;;) {
        int fd = open(path, O_RDONLY | O_DIRECTORY);
        if (fd < 0)
            return false;
        alignas(8) static char buffer[2048];
        ssize_t got = getdents(fd, buffer, sizeof(buffer));
        close(fd);
        if (got < 0)
            return false;
        bool removed_any = false;
        for (ssize_t at = 0; at < got;) {
            auto* entry = reinterpret_cast<dirent*>(buffer + at);
            at += entry->d_reclen;
            if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
                continue;
            char child[PATH_MAX];
            if (snprintf(child, sizeof(child), "%s/%s", path, entry->d_name) >= int(sizeof(child))) {
                errno = ENAMETOOLONG;
                return false;
            }
            if (!remove_path(child, true))
                return false;
            removed_any = true;
        }
        if (!removed_any)
            return true;
    }
}

bool remove_path(const char* path, bool recursive)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return false;
    if (!S_ISDIR(st.st_mode))
        return unlink(path) == 0;
    if (!recursive) {
        errno = EISDIR;
        return false;
    }
    return remove_contents(path) && rmdir(path) == 0;
}

} // namespace

int main(int argc, char** argv)
{
    bool recursive = argc > 1 && strcmp(argv[1], "-r") == 0;
    int first = recursive ? 2 : 1;
    if (first >= argc) {
        dprintf(STDERR_FILENO, "usage: rm [-r] PATH...\n");
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc; ++i) {
        if (!remove_path(argv[i], recursive)) {
            dprintf(STDERR_FILENO, "rm: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}

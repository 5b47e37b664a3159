/* mkdir: creates each named directory; with -p also its missing parents, and an
 * existing directory is no error. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool is_directory(const char* path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Creates every prefix of `path` that ends before a '/', then `path` itself. */
int make_with_parents(const char* path)
{
    char prefix[PATH_MAX];
    size_t length = strlen(path);
    if (length >= sizeof(prefix)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (size_t i = 1; i <= length; ++i) {
        if (i < length && path[i] != '/')
            continue;
        memcpy(prefix, path, i);
        prefix[i] = '\0';
        if (mkdir(prefix) < 0 && !(errno == EEXIST && is_directory(prefix)))
            return -1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    bool parents = argc > 1 && strcmp(argv[1], "-p") == 0;
    int first = parents ? 2 : 1;
    if (first >= argc) {
        dprintf(STDERR_FILENO, "usage: mkdir [-p] DIRECTORY...\n");
        return 2;
    }
    int status = 0;
    for (int i = first; i < argc; ++i) {
        int result = parents ? make_with_parents(argv[i]) : mkdir(argv[i]);
        if (result < 0) {
            dprintf(STDERR_FILENO, "mkdir: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}

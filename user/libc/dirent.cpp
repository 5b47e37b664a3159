/* Directory helpers on getdents(); see dirent.h. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int count_directory_entries(const char* path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return -1;
    /* Small, so that a directory of a few dozen entries takes several calls. */
    alignas(8) static char buffer[512];
    int count = 0;
    ssize_t got;
    while ((got = getdents(fd, buffer, sizeof(buffer))) > 0) {
        for (ssize_t at = 0; at < got;) {
            auto* entry = reinterpret_cast<dirent*>(buffer + at);
            at += entry->d_reclen;
            if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0)
                ++count;
        }
    }
    close(fd);
    return got < 0 ? -1 : count;
}

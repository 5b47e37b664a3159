/* ls: lists directories (sorted, '/' after subdirectories) or names files; with
 * -l also each entry's type and size. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

bool long_format = false;

struct Names {
    char** items = nullptr;
    size_t count = 0, capacity = 0;

    bool add(const char* name)
    {
        if (count == capacity) {
            size_t grown = capacity ? capacity * 2 : 32;
            auto** bigger = static_cast<char**>(realloc(items, grown * sizeof(char*)));
            if (!bigger)
                return false;
            items = bigger;
            capacity = grown;
        }
        items[count] = strdup(name);
        return items[count++] != nullptr;
    }

    void sort()
    {
        for (size_t i = 1; i < count; ++i) {
            char* item = items[i];
            size_t j = i;
            for (; j > 0 && strcmp(items[j - 1], item) > 0; --j)
                items[j] = items[j - 1];
            items[j] = item;
        }
    }

    ~Names()
    {
        for (size_t i = 0; i < count; ++i)
            free(items[i]);
        free(items);
    }
};

void print_entry(const char* path, const char* name)
{
    struct stat st;
    bool have_stat = stat(path, &st) == 0;
    bool directory = have_stat && S_ISDIR(st.st_mode);
    if (long_format) {
        if (have_stat)
            printf("%c %04o %10lu  ", directory ? 'd' : '-', st.st_mode & 07777, static_cast<unsigned long>(st.st_size));
        else
            printf("? ????          ?  ");
    }
    printf("%s%s\n", name, directory ? "/" : "");
}

bool read_names(const char* path, Names& names)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return false;
    alignas(8) static char buffer[4096];
    for (;;) {
        ssize_t got = getdents(fd, buffer, sizeof(buffer));
        if (got <= 0) {
            close(fd);
            return got == 0;
        }
        for (ssize_t at = 0; at < got;) {
            auto* entry = reinterpret_cast<dirent*>(buffer + at);
            at += entry->d_reclen;
            if (strcmp(entry->d_name, ".") != 0 && strcmp(entry->d_name, "..") != 0 && !names.add(entry->d_name)) {
                close(fd);
                errno = ENOMEM;
                return false;
            }
        }
    }
}

bool list(const char* path, bool show_header)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return false;
    if (!S_ISDIR(st.st_mode)) {
        print_entry(path, path);
        return true;
    }
    Names names;
    if (!read_names(path, names))
        return false;
    names.sort();
    if (show_header)
        printf("%s:\n", path);
    for (size_t i = 0; i < names.count; ++i) {
        char child[PATH_MAX];
        snprintf(child, sizeof(child), "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", names.items[i]);
        print_entry(child, names.items[i]);
    }
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    int first = 1;
    if (argc > 1 && strcmp(argv[1], "-l") == 0) {
        long_format = true;
        first = 2;
    }
    if (first == argc)
        return list(".", false) ? 0 : (dprintf(STDERR_FILENO, "ls: .: %s\n", strerror(errno)), 1);
    int status = 0;
    for (int i = first; i < argc; ++i) {
        if (!list(argv[i], argc - first > 1)) {
            dprintf(STDERR_FILENO, "ls: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        }
    }
    return status;
}

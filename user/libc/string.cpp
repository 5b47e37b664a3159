/* The string functions libc has beyond the kernel's kernel/lib/string.cpp, and
 * strerror. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern "C" {

char* strrchr(const char* text, int c)
{
    const char* found = nullptr;
    for (;; ++text) {
        if (*text == char(c))
            found = text;
        if (!*text)
            return const_cast<char*>(found);
    }
}

char* strcpy(char* destination, const char* source)
{
    char* d = destination;
    while ((*d++ = *source++))
        ;
    return destination;
}

char* strncpy(char* destination, const char* source, size_t count)
{
    size_t i = 0;
    for (; i < count && source[i]; ++i)
        destination[i] = source[i];
    for (; i < count; ++i)
        destination[i] = '\0';
    return destination;
}

char* strcat(char* destination, const char* source)
{
    strcpy(destination + strlen(destination), source);
    return destination;
}

char* strdup(const char* text)
{
    size_t size = strlen(text) + 1;
    auto* copy = static_cast<char*>(malloc(size));
    if (copy)
        memcpy(copy, text, size);
    return copy;
}

const char* strerror(int error)
{
    switch (error) {
    case 0: return "Success";
    case EPERM: return "Operation not permitted";
    case ENOENT: return "No such file or directory";
    case ESRCH: return "No such process";
    case EIO: return "I/O error";
    case E2BIG: return "Argument list too long";
    case ENOEXEC: return "Exec format error";
    case EBADF: return "Bad file descriptor";
    case ECHILD: return "No child processes";
    case EAGAIN: return "Try again";
    case ENOMEM: return "Out of memory";
    case EACCES: return "Permission denied";
    case EFAULT: return "Bad address";
    case EBUSY: return "Device or resource busy";
    case EEXIST: return "File exists";
    case ENOTDIR: return "Not a directory";
    case EISDIR: return "Is a directory";
    case EINVAL: return "Invalid argument";
    case EMFILE: return "Too many open files";
    case EFBIG: return "File too large";
    case ENOSPC: return "No space left on device";
    case ESPIPE: return "Illegal seek";
    case EROFS: return "Read-only file system";
    case ERANGE: return "Result out of range";
    case ENAMETOOLONG: return "File name too long";
    case ENOSYS: return "Function not implemented";
    case ENOTEMPTY: return "Directory not empty";
    default: return "Unknown error";
    }
}

} // extern "C"

/* The file status record of stat() and fstat(), shared by the kernel, user
 * programs and the hypervisor's file server: fixed-size fields, no padding, the
 * same layout in C and C++ (POSIX <sys/stat.h>, trimmed to what this kernel has). */
#pragma once
#include <stdint.h>

/* File type bits of st_mode; the low 12 bits are the permission bits. */
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFREG 0100000
#define S_IFCHR 0020000 /* a terminal under /dev */
#define S_ISDIR(mode) (((mode) & S_IFMT) == S_IFDIR)
#define S_ISREG(mode) (((mode) & S_IFMT) == S_IFREG)
#define S_ISCHR(mode) (((mode) & S_IFMT) == S_IFCHR)

struct stat {
    uint64_t st_dev;   /* which mounted file system */
    uint64_t st_ino;   /* inode number, unique within st_dev */
    uint32_t st_mode;  /* S_IF* type and permission bits */
    uint32_t st_nlink; /* names referring to the inode (a directory: 2 + subdirectories) */
    uint64_t st_size;  /* bytes of a regular file; entries of a directory */
};

#ifdef __cplusplus
static_assert(sizeof(struct stat) == 32, "struct stat is part of the ABI");
#else
_Static_assert(sizeof(struct stat) == 32, "struct stat is part of the ABI");
#endif

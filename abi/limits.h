/* File system limits shared by the kernel and user programs. PATH_MAX counts the
 * terminating NUL, NAME_MAX does not (POSIX <limits.h>). */
#pragma once

#define NAME_MAX 255
#define PATH_MAX 4096
/* File descriptors per process: fds 0 .. OPEN_MAX - 1. */
#define OPEN_MAX 64

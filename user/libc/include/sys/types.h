/* The POSIX integer types our libc uses. */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef long ssize_t;
typedef int64_t off_t;
typedef int pid_t;

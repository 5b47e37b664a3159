/* One piece of a scattered buffer, as readv()/writev() take them (POSIX.1-2017
 * <sys/uio.h>, struct iovec): kernel memory the VFS copies file data into or out
 * of directly. The hypercall file server builds these from a guest's buffer. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct IoVector {
    uint8_t* base;
    size_t length;
};

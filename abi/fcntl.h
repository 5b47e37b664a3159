/* Flags of open() and the origins of lseek(), shared by the kernel, user programs
 * and the hypervisor's file server. Values as on Linux x86_64 (POSIX <fcntl.h>). */
#pragma once

/* The access mode is the low two bits: exactly one of these three. */
#define O_ACCMODE 0003
#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02

#define O_CREAT 0100      /* create the file when it does not exist */
#define O_EXCL 0200       /* with O_CREAT: fail with EEXIST when it exists */
#define O_TRUNC 01000     /* a regular file opened for writing starts empty */
#define O_APPEND 02000    /* every write goes to the end of the file */
#define O_DIRECTORY 0200000 /* fail with ENOTDIR unless the path names a directory */

/* lseek() origins (POSIX <unistd.h>). */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

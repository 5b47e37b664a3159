/* The POSIX-style system call wrappers, and Matryoshka's own calls (spawn, ps,
 * free_pages, heap_pages, clock_ns, vm_*). Each returns -1 (or NULL) and sets errno on failure;
 * the numbers are in abi/syscall_numbers.h, the raw calls in <syscall.h>. */
#pragma once
#include <abi/fail_alloc.h>
#include <abi/fcntl.h>
#include <abi/process.h>
#include <abi/vm.h>
#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

extern "C" {
[[noreturn]] void _exit(int status);
ssize_t read(int fd, void* buffer, size_t count);
ssize_t write(int fd, const void* buffer, size_t count);
int close(int fd);
off_t lseek(int fd, off_t offset, int whence);
int rmdir(const char* path);
int unlink(const char* path);
int rename(const char* from, const char* to);
int chdir(const char* path);
/* Returns `buffer`, or NULL when the path does not fit (ERANGE). */
char* getcwd(char* buffer, size_t size);
int dup(int fd);
/* Sets the file's size: a shorter file loses its tail, a longer one reads zeros there. */
int ftruncate(int fd, off_t size);

/* Starts `path` as a new child process with its own address space. envp NULL
 * gives the child an empty environment. Returns the child's pid. */
pid_t spawn(const char* path, char* const argv[], char* const envp[]);
pid_t fork();
/* Replaces the calling process's program; returns only on failure. */
int exec(const char* path, char* const argv[], char* const envp[]);
/* Waits for child `pid` (-1: any child) to exit and stores its status
 * (abi/process.h) in *status unless NULL. Returns the pid it collected. */
pid_t wait(pid_t pid, int* status);
pid_t getpid();
int sleep_ms(uint64_t milliseconds);
int yield();
/* Fills up to `count` entries; returns how many processes exist (may be more). */
int ps(struct ProcessInfo* out, size_t count);
/* Free physical pages, for tests that check nothing leaked. */
long free_pages();
/* Pages the kernel heap holds; with free_pages(), what leak checks compare. */
long heap_pages();
/* Fault injection (abi/fail_alloc.h): arms the kernel to fail the nth (or every
 * nth) fallible allocation of `sites` from now; FAIL_ALLOC_OFF disarms and returns
 * how many allocations were counted since. */
long fail_alloc(int mode, unsigned long n, unsigned sites);
/* Sets the end of the data segment (POSIX brk); sbrk moves it by `increment` and
 * returns the old end. */
int brk(void* end);
void* sbrk(intptr_t increment);
/* Nanoseconds since boot, monotonic. */
uint64_t clock_ns();
int vm_start(struct VmStartRequest* request);
int vm_list(struct VmInfo* out, size_t count);
int vm_stop(int id);
/* Turns the machine off; status 0 tells the test harness "passed". Returns only on failure. */
int poweroff(int status);
int vm_front(int id);
/* Fills *out (size bytes, at least sizeof(struct VmStats)) with VM id's exit
 * statistics; returns the bytes filled. */
int vm_stats(int id, struct VmStats* out, size_t size);
/* Queues count bytes (at most VM_SEND_MAX) for VM id's COM1; returns how many
 * were queued (fewer when its input queue is full). */
ssize_t vm_send(int id, const void* bytes, size_t count);
/* Types the host's COM1 into VM id's COM1 until Ctrl-] (VM_DETACH_KEY): 0, or 1
 * when the VM ended first. */
int vm_attach(int id);
/* VM id's text screen (live, or as it was when the VM ended) as up to 25
 * '\n'-terminated lines into out (VM_SCREEN_TEXT_MAX bytes suffice); returns
 * the length. */
ssize_t vm_screen(int id, char* out, size_t size);
/* Queues text (at most VM_KEYS_MAX bytes) to be typed on VM id's PS/2 keyboard;
 * returns how many bytes were queued. */
ssize_t vm_keys(int id, const void* text, size_t count);
}

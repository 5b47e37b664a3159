/* What runs around main: the environment, global constructors, exit with its
 * atexit handlers, abort. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The linker script (user/user.ld) collects the constructors between these. */
extern "C" void (*__init_array_start[])();
extern "C" void (*__init_array_end[])();

namespace {

constexpr int MAX_ATEXIT_HANDLERS = 32;
void (*atexit_handlers[MAX_ATEXIT_HANDLERS])();
int atexit_count = 0;

} // namespace

extern "C" {

char** environ;

/* Called by _start (crt0.S) before main. */
void libc_start(int, char**, char** envp)
{
    environ = envp;
    for (void (**constructor)() = __init_array_start; constructor != __init_array_end; ++constructor)
        (*constructor)();
}

int atexit(void (*handler)())
{
    if (atexit_count == MAX_ATEXIT_HANDLERS)
        return -1;
    atexit_handlers[atexit_count++] = handler;
    return 0;
}

void exit(int status)
{
    /* In reverse order of registration, as C requires. */
    while (atexit_count > 0)
        atexit_handlers[--atexit_count]();
    _exit(status);
}

void abort()
{
    static const char message[] = "abort()\n";
    write(STDERR_FILENO, message, sizeof(message) - 1);
    _exit(134); /* what a shell shows for SIGABRT */
}

char* getenv(const char* name)
{
    size_t length = strlen(name);
    for (char** entry = environ; entry && *entry; ++entry) {
        if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=')
            return *entry + length + 1;
    }
    return nullptr;
}

} // extern "C"

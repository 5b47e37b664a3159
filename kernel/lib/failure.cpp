/* Failure::set: the errno and the sentence of a failed step (lib/failure.h). */
#include "lib/failure.h"

#include "lib/format.h"

#include <stdarg.h>

Error Failure::set(int value, const char* format, ...)
{
    va_list args;
    va_start(args, format);
    vformat_string(text, sizeof(text), format, args);
    va_end(args);
    errno_value = value;
    return Error(value);
}

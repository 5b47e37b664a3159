/* The shell's command-line parsing: words separated by blanks, "double" and 'single'
 * quotes keep blanks inside a word, a backslash takes the next character literally,
 * an unquoted "> FILE" or ">> FILE" sends the output to FILE (replaced or appended),
 * and a program name without a '/' is looked up in /bin. Pure logic, also compiled
 * into the unit tests. */
#pragma once
#include <stddef.h>

constexpr size_t COMMAND_MAX_ARGUMENTS = 32;
constexpr size_t COMMAND_MAX_LENGTH = 256;

enum class CommandError { none, unterminated_quote, too_many_arguments, too_long, missing_file_name };

const char* command_error_text(CommandError error);

struct Command {
    size_t argc;
    char* argv[COMMAND_MAX_ARGUMENTS + 1]; /* NULL-terminated, pointing into storage */
    const char* output_path;               /* "> FILE": FILE, else NULL */
    bool append_output;                    /* ">>" rather than ">" */
    char storage[COMMAND_MAX_LENGTH];
};

/* Splits `line` into out.argv; an empty or blank line gives argc 0. */
[[nodiscard]] CommandError parse_command_line(const char* line, Command& out);

/* Writes the path to run for `name` into `path`: `name` itself when it contains a
 * '/', else "/bin/<name>". Returns false when it does not fit. */
[[nodiscard]] bool program_path(const char* name, char* path, size_t size);

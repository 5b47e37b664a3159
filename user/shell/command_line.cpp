/* Command-line parsing; see command_line.h. */
#include "shell/command_line.h"

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Appends one character to the storage; false when it is full. */
bool append(Command& out, size_t& used, char c)
{
    if (used == COMMAND_MAX_LENGTH)
        return false;
    out.storage[used++] = c;
    return true;
}

/* Copies one word starting at `p` into the storage, resolving quotes and
 * backslashes; returns where the word ended, or NULL with `error` set. */
const char* copy_word(const char* p, Command& out, size_t& used, CommandError& error)
{
    char quote = 0;
    for (; *p && (quote || (!is_blank(*p) && *p != '>')); ++p) {
        char c = *p;
        if (quote && c == quote) {
            quote = 0;
            continue;
        }
        if (!quote && (c == '"' || c == '\'')) {
            quote = c;
            continue;
        }
        if (c == '\\' && quote != '\'' && p[1])
            c = *++p;
        if (!append(out, used, c)) {
            error = CommandError::too_long;
            return nullptr;
        }
    }
    if (quote) {
        error = CommandError::unterminated_quote;
        return nullptr;
    }
    if (!append(out, used, '\0')) {
        error = CommandError::too_long;
        return nullptr;
    }
    return p;
}

} // namespace

const char* command_error_text(CommandError error)
{
    switch (error) {
    case CommandError::none: return "no error";
    case CommandError::unterminated_quote: return "unterminated quote";
    case CommandError::too_many_arguments: return "too many arguments";
    case CommandError::too_long: return "command line too long";
    case CommandError::missing_file_name: return "no file name after >";
    }
    return "unknown error";
}

CommandError parse_command_line(const char* line, Command& out)
{
    out.argc = 0;
    out.argv[0] = nullptr;
    out.output_path = nullptr;
    out.append_output = false;
    size_t used = 0;
    const char* p = line;
    for (;;) {
        while (is_blank(*p))
            ++p;
        if (!*p)
            return CommandError::none;
        if (*p == '>') {
            out.append_output = p[1] == '>';
            p += out.append_output ? 2 : 1;
            while (is_blank(*p))
                ++p;
            if (!*p || *p == '>')
                return CommandError::missing_file_name;
            char* path = out.storage + used;
            CommandError error = CommandError::none;
            p = copy_word(p, out, used, error);
            if (!p)
                return error;
            out.output_path = path;
            continue;
        }
        if (out.argc == COMMAND_MAX_ARGUMENTS)
            return CommandError::too_many_arguments;
        char* word = out.storage + used;
        CommandError error = CommandError::none;
        p = copy_word(p, out, used, error);
        if (!p)
            return error;
        out.argv[out.argc++] = word;
        out.argv[out.argc] = nullptr;
    }
}

bool program_path(const char* name, char* path, size_t size)
{
    bool has_slash = false;
    for (const char* p = name; *p; ++p)
        has_slash |= *p == '/';
    const char* prefix = has_slash ? "" : "/bin/";
    const char* parts[] = {prefix, name};
    size_t used = 0;
    for (const char* part : parts) {
        for (; *part; ++part) {
            if (used + 1 >= size)
                return false;
            path[used++] = *part;
        }
    }
    if (size == 0)
        return false;
    path[used] = '\0';
    return true;
}

/* sh: the shell. Reads lines with editing and history (user/shell/line_editor.h),
 * runs built-ins (cd, pwd, exit, help) itself and everything else as /bin/<name>
 * through spawn and wait, and says when a program ended with a non-zero status.
 * "> FILE" and ">> FILE" send a command's output to FILE.
 * `sh -c "command line"` runs one line and exits with its status. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shell/command_line.h"
#include "shell/line_editor.h"

namespace {

int last_status = 0;

void write_to_terminal(void*, const char* text, size_t length) { write(STDOUT_FILENO, text, length); }

void print_prompt()
{
    char cwd[PATH_MAX];
    printf("%s$ ", getcwd(cwd, sizeof(cwd)) ? cwd : "?");
}

void print_help()
{
    printf("Built-in commands:\n"
           "  cd [DIR]     change the working directory (default /)\n"
           "  pwd          print the working directory\n"
           "  exit [N]     leave the shell with status N (default: the last status)\n"
           "  help         this text\n"
           "Anything else runs /bin/NAME with its arguments, e.g. ls /bin, cat FILE, ps.\n"
           "COMMAND > FILE writes its output to FILE, COMMAND >> FILE appends it.\n"
           "Keys: Left/Right move, Up/Down walk the history, Backspace and Delete erase,\n"
           "Ctrl-C drops the line, Ctrl-D on an empty line leaves the shell.\n");
}

/* Reports how a child ended unless it succeeded. */
void report_status(const char* name, int status)
{
    if (status & PROCESS_STATUS_FAULT)
        printf("%s: killed by CPU exception %d\n", name, status & 0xff);
    else if (status != 0)
        printf("%s: exit status %d\n", name, status);
}

int run_program(const Command& command)
{
    char path[PATH_MAX];
    if (!program_path(command.argv[0], path, sizeof(path))) {
        printf("sh: %s: name too long\n", command.argv[0]);
        return 127;
    }
    pid_t pid = spawn(path, command.argv, environ);
    if (pid < 0) {
        printf("sh: %s: %s\n", command.argv[0], strerror(errno));
        return errno == ENOENT ? 127 : 126;
    }
    int status = 0;
    if (wait(pid, &status) < 0) {
        printf("sh: wait for %d: %s\n", pid, strerror(errno));
        return 1;
    }
    report_status(command.argv[0], status);
    return status;
}

/* Standard output moved to a file for one command: fd 1 is closed and the file
 * opened in its place (open takes the lowest free descriptor, and 0 stays
 * open); the terminal's descriptor waits in a copy until restore(). */
class OutputRedirection {
public:
    bool redirect(const char* path, bool append)
    {
        saved_ = dup(STDOUT_FILENO);
        int fd = open(path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
        if (saved_ < 0 || fd < 0) {
            printf("sh: %s: %s\n", path, strerror(errno));
            if (fd >= 0)
                close(fd);
            return false;
        }
        close(STDOUT_FILENO);
        int moved = dup(fd);
        close(fd);
        return moved == STDOUT_FILENO;
    }

    void restore()
    {
        if (saved_ < 0)
            return;
        close(STDOUT_FILENO);
        dup(saved_);
        close(saved_);
        saved_ = -1;
    }

    ~OutputRedirection() { restore(); }

private:
    int saved_ = -1;
};

int run_command(const Command& command);

/* Runs one line; sets *leave when the line was `exit`. Returns its status. */
int run_line(const char* line, bool* leave)
{
    Command command;
    if (CommandError error = parse_command_line(line, command); error != CommandError::none) {
        printf("sh: %s\n", command_error_text(error));
        return 2;
    }
    if (command.argc == 0)
        return last_status;
    const char* name = command.argv[0];
    if (strcmp(name, "exit") == 0) {
        *leave = true;
        return command.argc > 1 ? atoi(command.argv[1]) : last_status;
    }
    if (!command.output_path)
        return run_command(command);
    OutputRedirection redirection;
    if (!redirection.redirect(command.output_path, command.append_output))
        return 1;
    return run_command(command);
}

/* Runs a built-in or a program. */
int run_command(const Command& command)
{
    const char* name = command.argv[0];
    if (strcmp(name, "cd") == 0) {
        const char* target = command.argc > 1 ? command.argv[1] : "/";
        if (chdir(target) < 0) {
            printf("cd: %s: %s\n", target, strerror(errno));
            return 1;
        }
        return 0;
    }
    if (strcmp(name, "pwd") == 0) {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof(cwd))) {
            printf("pwd: %s\n", strerror(errno));
            return 1;
        }
        printf("%s\n", cwd);
        return 0;
    }
    if (strcmp(name, "help") == 0) {
        print_help();
        return 0;
    }
    return run_program(command);
}

int interactive()
{
    LineEditor editor(write_to_terminal, nullptr);
    printf("Matryoshka shell. Type help for the built-in commands.\n");
    print_prompt();
    for (;;) {
        char byte;
        if (read(STDIN_FILENO, &byte, 1) != 1)
            return last_status;
        switch (editor.feed(byte)) {
        case LineEditor::Event::none: continue;
        case LineEditor::Event::end_of_input: printf("\n"); return last_status;
        case LineEditor::Event::cancelled: break;
        case LineEditor::Event::line_done: {
            bool leave = false;
            last_status = run_line(editor.line(), &leave);
            if (leave)
                return last_status;
            break;
        }
        }
        print_prompt();
    }
}

} // namespace

int main(int argc, char** argv)
{
    if (argc == 3 && strcmp(argv[1], "-c") == 0) {
        bool leave = false;
        return run_line(argv[2], &leave);
    }
    return interactive();
}

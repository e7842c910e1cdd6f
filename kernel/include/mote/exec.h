/* Loading the program (linux/exec.c). */
#ifndef MOTE_EXEC_H
#define MOTE_EXEC_H

#include "mote/types.h"

struct exec_result {
    uint64_t entry, sp;
};

/* Loads argv[0] from the bootfs into the user half and builds its stack. Returns 0, or a
 * negative errno after printing one line that says what is wrong with the file. */
int exec_program(int argc, const char *const argv[], int envc, const char *const envp[],
                 struct exec_result *out);

/* The program's end: prints "program exited with status N" and powers off. */
__noreturn void program_exited(int status);

#endif

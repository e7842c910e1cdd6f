/* Loading the program (linux/exec.c). */
#ifndef MOTE_EXEC_H
#define MOTE_EXEC_H

#include "mote/types.h"

struct exec_result {
    uint64_t entry, sp;
};

/* Loads the program at path (resolved from the cwd, through the file tree that holds the
 * bootfs and the initrd) into a new address space, builds its stack and makes it the current
 * one (the old one is released). argv and envp must be kernel memory. Returns 0, or a negative
 * errno with the old address space still current; with report set it first prints one line that
 * says what is wrong with the file. */
int exec_program(const char *path, int argc, const char *const argv[], int envc,
                 const char *const envp[], bool report, struct exec_result *out);

/* The program's end: prints "program exited with status N" and powers off. */
__noreturn void program_exited(int status);

#endif

/* Pipes (fs/pipe.c). */
#ifndef MOTE_PIPE_H
#define MOTE_PIPE_H

#include "mote/types.h"

struct file;
/* Two open files, the read end and the write end; flags: O_NONBLOCK. */
int pipe_create(int flags, struct file **rd, struct file **wr);
bool file_is_pipe(const struct file *f);

#endif

/* Sends itself a signal named by its first argument (abort or term), or calls an unknown system
 * call first: the kernel must report both and end the program with 128 + signal. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long r = syscall(999);
    printf("syscall 999 -> %ld\n", r);
    r = syscall(SYS_io_setup, 1, 0);
    printf("io_setup -> %ld\n", r);
    fflush(stdout);
    signal(SIGCHLD, SIG_IGN);
    raise(SIGCHLD); /* ignored */
    if (argc > 1 && strcmp(argv[1], "term") == 0)
        raise(SIGTERM);
    abort();
}

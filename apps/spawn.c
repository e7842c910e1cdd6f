/* Starting other programs the ways libc offers: posix_spawn (clone with CLONE_VM|CLONE_VFORK),
 * system() and popen() (through /bin/sh). Needs /bin/busybox and /bin/sh in the initrd. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(void)
{
    pid_t pid;
    char *argv[] = {"/bin/busybox", "echo", "spawned", NULL};
    int rc = posix_spawn(&pid, "/bin/busybox", NULL, NULL, argv, environ);
    int st = 0;
    waitpid(pid, &st, 0);
    printf("posix_spawn rc=%d status=%d\n", rc, WEXITSTATUS(st));
    rc = system("echo from system; exit 5");
    printf("system -> %d\n", WEXITSTATUS(rc));
    FILE *f = popen("echo via popen", "r");
    char buf[64];
    if (f && fgets(buf, sizeof(buf), f))
        printf("popen read: %s", buf);
    if (f)
        printf("pclose -> %d\n", pclose(f));
    return 0;
}

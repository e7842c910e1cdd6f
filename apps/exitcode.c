/* Exits with the status given as its first argument (default 3): the exit status must reach the
 * monitor's own. Also echoes its arguments, environment size and auxv-derived facts. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>

int main(int argc, char **argv)
{
    int status = argc > 1 ? atoi(argv[1]) : 3;
    printf("argc=%d", argc);
    for (int i = 0; i < argc; i++)
        printf(" argv[%d]=%s", i, argv[i]);
    printf(" pagesz=%lu\n", getauxval(AT_PAGESZ));
    return status;
}

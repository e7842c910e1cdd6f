/* Writes through a bad pointer: the kernel must report SIGSEGV and end with status 139. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    /* The address comes from outside so the compiler cannot see it is bad. */
    uintptr_t addr = argc > 1 ? strtoul(argv[1], NULL, 0) : 0x10;
    printf("about to fault at %#lx\n", (unsigned long)addr);
    fflush(stdout);
    *(volatile int *)addr = 1;
    return 0;
}

/* The seed's program: an unmodified static Linux x86-64 executable (musl-gcc -static). */
#include <stdio.h>

int main(void)
{
    printf("Hello from C code\n");
    return 0;
}

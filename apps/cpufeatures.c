/* What the CPU offers a program under Mote: the kernel leaves CR4.OSXSAVE clear, so CPUID says
 * OSXSAVE = 0 and libc takes its SSE paths; AVX is not offered (the scheduler saves FPU/SSE with
 * fxsave, the only save instruction PVM's CPL0 emulator runs). An AVX instruction then raises
 * #UD: the program is killed with SIGILL, which this program checks when asked ("avx"). */
#include <cpuid.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    unsigned a = 0, b = 0, c = 0, d = 0;
    __get_cpuid(1, &a, &b, &c, &d);
    printf("sse2=%u osxsave=%u avx-cpu=%u\n", (d >> 26) & 1, (c >> 27) & 1, (c >> 28) & 1);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "avx") == 0)
        __asm__ volatile("vxorps %%ymm0, %%ymm0, %%ymm0" : : : "xmm0");
    return 0;
}

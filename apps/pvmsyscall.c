/* Enters the kernel the way `syscall` does under PVM: it jumps to the system-call entry page at
 * CPL3 (RCX = return address, R11 = flags), which takes #GP and must be handled as a system call.
 * On QEMU and hardware this exercises the PVM path that real `syscall` does not take there. */
#include <string.h>

#define SYSCALL_PAGE 0x00007ffffffff000ul

static long pvm_write(int fd, const char *buf, unsigned long len)
{
    long ret;
    __asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
                     "pushfq\n\t"
                     "popq %%r11\n\t"
                     "jmp *%5\n"
                     "1:"
                     : "=a"(ret)
                     : "a"(1L), "D"((long)fd), "S"(buf), "d"(len), "r"(SYSCALL_PAGE)
                     : "rcx", "r11", "memory");
    return ret;
}

int main(void)
{
    const char msg[] = "syscall through the PVM entry path works\n";
    long n = pvm_write(1, msg, strlen(msg));
    return n == (long)strlen(msg) ? 0 : 1;
}

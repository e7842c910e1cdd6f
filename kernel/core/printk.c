/* printk and panic. A message is formatted whole and written with one console_write, so a line
 * costs one exit however long it is. */
#include <stdarg.h>

#include "mote/power.h"
#include "mote/printk.h"
#include "mote/trap.h"
#include "mote/x86.h"

int console_loglevel = LOG_WARN;

void printk(int level, const char *fmt, ...)
{
    if (level > console_loglevel)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    console_write(buf, n);
}

__noreturn void panic_frame(struct trap_frame *frame, const char *fmt, ...)
{
    static bool in_panic;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cli();
    if (in_panic)
        power_off(POWER_PANIC);
    in_panic = true;
    console_loglevel = LOG_DEBUG;
    printk(LOG_ERR, "\nPANIC: %s\n", buf);
    if (frame)
        arch_dump_frame(frame);
    arch_backtrace(frame ? frame->rbp : (uint64_t)__builtin_frame_address(0));
    power_off(POWER_PANIC);
}

/* Ending the VM: hand the exit status to the monitor through the debug-exit port (QEMU's
 * isa-debug-exit, motevm), then ACPI S5 when the machine has ACPI, then ask for a reset through
 * the i8042 (Firecracker and motevm stop the VM on it; QEMU with -no-reboot exits), then fall back
 * to a triple fault. */
#include "abi/ports.h"
#include "mote/platform.h"
#include "mote/power.h"
#include "mote/x86.h"

__noreturn void power_off(int status)
{
    outw(PORT_DEBUG_EXIT, (uint16_t)status);
    platform_acpi_poweroff();
    outb(PORT_I8042_CMD, I8042_CMD_RESET);
    /* Triple fault: an empty IDT and an exception. */
    static const struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } empty = {0, 0};
    __asm__ volatile("lidt %0\n\tud2" : : "m"(empty));
    for (;;)
        cpu_halt();
}

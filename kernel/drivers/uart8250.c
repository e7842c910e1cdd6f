/* Console output on the 8250 UART at COM1. Each write is one `rep outsb`: one exit to the monitor
 * for the whole buffer instead of one per byte (KVM hands string I/O to the monitor in one go).
 * Virtual UARTs (motevm, Firecracker, QEMU) accept bytes as fast as they come, so the transmit
 * holding register is not polled. */
#include "abi/ports.h"
#include "mote/layout.h"
#include "mote/printk.h"
#include "mote/x86.h"

void console_write(const char *buf, size_t len)
{
    while (len) {
        /* KVM moves at most one page per string-I/O exit; keep chunks inside one page. */
        size_t room = PAGE_SIZE - ((uintptr_t)buf & (PAGE_SIZE - 1));
        size_t n = len < room ? len : room;
        outsb(PORT_COM1, buf, n);
        buf += n;
        len -= n;
    }
}

#define UART_RBR 0 /* receive buffer */
#define UART_LSR 5 /* line status */
#define LSR_DATA_READY 0x01

int console_read_byte(void)
{
    /* Polled: one exit per port read under a hypervisor, so callers read only what they need.
     * An absent UART reads as 0xff everywhere: no data then. */
    uint8_t lsr = inb(PORT_COM1 + UART_LSR);
    if (lsr == 0xff || !(lsr & LSR_DATA_READY))
        return -1;
    return inb(PORT_COM1 + UART_RBR);
}

/* I/O ports and values through which a Mote guest talks to its monitor, on motevm, Firecracker
 * and QEMU alike. Only published conventions: nothing here is private to Mote. */
#ifndef ABI_PORTS_H
#define ABI_PORTS_H

/* 8250 UART COM1 (IRQ 4). */
#define PORT_COM1 0x3f8
#define IRQ_COM1 4

/* i8042 keyboard controller: writing 0xFE to the command port pulses the CPU reset line,
 * which Firecracker (and motevm) treat as "the guest is done". */
#define PORT_I8042_DATA 0x60
#define PORT_I8042_CMD 0x64
#define I8042_CMD_RESET 0xfe

/* Firecracker's boot-time signal (up to v0.21, and what OSv writes): 123 to port 0x3f0. With
 * --boot-timer the same value written at offset 0 of the boot-timer MMIO slot. */
#define PORT_BOOT_TIMER 0x3f0
#define BOOT_TIMER_MAGIC 123

/* QEMU's isa-debug-exit convention (iobase=0x501, iosize=2): the guest writes its exit status.
 * QEMU exits with (value << 1) | 1; motevm exits with the value itself. */
#define PORT_DEBUG_EXIT 0x501

/* PCI configuration mechanism 1. */
#define PORT_PCI_CONFIG_ADDR 0xcf8
#define PORT_PCI_CONFIG_DATA 0xcfc

#endif

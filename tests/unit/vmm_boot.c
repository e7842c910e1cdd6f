/* motevm's boot image (vmm/boot/): kernel ELF checks and loading, zero page and e820, MP table,
 * page tables, GDT and entry registers, PVH start_info, initrd placement, the whole image. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/mptable.h"
#include "vmm/boot/boot.h"
#include "vmm/boot/kernel.h"
#include "vmm/boot/layout.h"
#include "vmm/boot/mptable.h"
#include "vmm/boot/pvh.h"
#include "vmm/boot/regs.h"
#include "vmm/boot/tables.h"
#include "vmm/boot/zeropage.h"

#define MIB (1ull << 20)
#define GIB (1ull << 30)

/* ---- a small kernel ELF: one PT_LOAD at 1 MiB, optional PVH note ---- */

static uint8_t img[0x3000] __attribute__((aligned(8)));

static size_t build_elf(uint64_t paddr, int with_note)
{
    memset(img, 0, sizeof(img));
    elf64_ehdr *eh = (elf64_ehdr *)img;
    memcpy(eh->e_ident, ELFMAG, 4);
    eh->e_ident[4] = ELFCLASS64;
    eh->e_ident[5] = ELFDATA2LSB;
    eh->e_ident[6] = EV_CURRENT;
    eh->e_type = ET_EXEC;
    eh->e_machine = EM_X86_64;
    eh->e_version = EV_CURRENT;
    eh->e_entry = paddr + 0x10;
    eh->e_phoff = 64;
    eh->e_ehsize = 64;
    eh->e_phentsize = sizeof(elf64_phdr);
    eh->e_phnum = with_note ? 2 : 1;
    elf64_phdr *ph = (elf64_phdr *)(img + 64);
    ph[0] = (elf64_phdr){ PT_LOAD, PF_R | PF_X, 0x1000, paddr, paddr, 0x1000, 0x3000, 0x1000 };
    memset(img + 0x1000, 0xcc, 0x1000);
    if (with_note) {
        ph[1] = (elf64_phdr){ PT_NOTE, PF_R, 0x400, 0, 0, 20, 20, 4 };
        uint32_t *n = (uint32_t *)(img + 0x400);
        n[0] = 4;                           /* namesz: "Xen\0" */
        n[1] = 4;                           /* descsz */
        n[2] = XEN_ELFNOTE_PHYS32_ENTRY;
        memcpy(&n[3], "Xen", 4);
        n[4] = (uint32_t)paddr + 0x20;
    }
    return 0x2000;
}

static void test_kernel_good(void **state)
{
    struct kernel_image k;
    char why[128];
    size_t size = build_elf(HIMEM_START, 1);
    assert_int_equal(kernel_check(&k, img, size, 128 * MIB, why, sizeof(why)), 0);
    assert_int_equal(k.entry, HIMEM_START + 0x10);
    assert_int_equal(k.start, HIMEM_START);
    assert_int_equal(k.end, HIMEM_START + 0x3000);
    uint32_t pvh;
    assert_int_equal(kernel_pvh_entry(&k, &pvh), 0);
    assert_int_equal(pvh, HIMEM_START + 0x20);

    struct guest_mem m = { calloc(1, 4 * MIB), 4 * MIB };
    assert_int_equal(kernel_load(&k, &m), 0);
    assert_int_equal(m.host[HIMEM_START], 0xcc);
    assert_int_equal(m.host[HIMEM_START + 0xfff], 0xcc);
    assert_int_equal(m.host[HIMEM_START + 0x1000], 0); /* .bss */
    free(m.host);
}

static void test_kernel_no_pvh_note(void **state)
{
    struct kernel_image k;
    char why[128];
    size_t size = build_elf(HIMEM_START, 0);
    uint32_t pvh;
    assert_int_equal(kernel_check(&k, img, size, 128 * MIB, why, sizeof(why)), 0);
    assert_int_equal(kernel_pvh_entry(&k, &pvh), -ENOENT);
}

static void expect_bad_kernel(size_t size, uint64_t ram, const char *msg)
{
    struct kernel_image k;
    char why[128];
    assert_true(kernel_check(&k, img, size, ram, why, sizeof(why)) < 0);
    assert_string_equal(why, msg);
}

static void test_kernel_broken(void **state)
{
    size_t size = build_elf(HIMEM_START, 0);
    expect_bad_kernel(40, 128 * MIB, "truncated ELF header");
    expect_bad_kernel(0x1800, 128 * MIB, "ELF segment extends past the end of the file");
    img[0] = 'M';
    expect_bad_kernel(size, 128 * MIB, "not an ELF file");

    build_elf(0x8000, 0);
    expect_bad_kernel(size, 128 * MIB, "segment 0 at 0x8000 is below 1 MiB");
    build_elf(128 * MIB - 0x2000, 0);
    expect_bad_kernel(size, 128 * MIB,
                      "segment 0 [0x7ffe000, 0x8001000) is outside guest RAM (128 MiB)");
    build_elf(MMIO_GAP_START - 0x1000, 0);
    expect_bad_kernel(size, 4 * GIB,
                      "segment 0 [0xcffff000, 0xd0002000) is outside guest RAM (4096 MiB)");
    build_elf(HIMEM_START, 0);
    ((elf64_phdr *)(img + 64))->p_type = PT_NOTE;
    expect_bad_kernel(size, 128 * MIB, "ELF has no loadable segment");
}

static void test_kernel_above_4g(void **state)
{
    struct kernel_image k;
    char why[128];
    size_t size = build_elf(MMIO_GAP_END + MIB, 0);
    assert_int_equal(kernel_check(&k, img, size, 4 * GIB, why, sizeof(why)), 0);
    expect_bad_kernel(size, 3 * GIB, "segment 0 [0x100100000, 0x100103000) is outside guest RAM "
                                     "(3072 MiB)");
}

/* ---- e820 and the zero page ---- */

static void test_e820_small(void **state)
{
    struct e820_entry e[8];
    assert_int_equal(e820_build(e, 8, 128 * MIB), 3);
    assert_int_equal(e[0].addr, 0);
    assert_int_equal(e[0].size, 0x9fc00);
    assert_int_equal(e[0].type, E820_RAM);
    assert_int_equal(e[1].addr, 0x9fc00);
    assert_int_equal(e[1].size, 0x100000 - 0x9fc00);
    assert_int_equal(e[1].type, E820_RESERVED);
    assert_int_equal(e[2].addr, 0x100000);
    assert_int_equal(e[2].size, 127 * MIB);
    assert_int_equal(e[2].type, E820_RAM);
    assert_int_equal(e820_build(e, 8, 1 * MIB), 2);   /* nothing above 1 MiB */
}

static void test_e820_gap(void **state)
{
    struct e820_entry e[8];
    assert_int_equal(e820_build(e, 8, 4 * GIB), 4);
    assert_int_equal(e[2].addr, 0x100000);
    assert_int_equal(e[2].size, 0xd0000000 - 0x100000);
    assert_int_equal(e[3].addr, 0x100000000ull);
    assert_int_equal(e[3].size, 4 * GIB - 0xd0000000);
    assert_int_equal(e[3].type, E820_RAM);
    assert_int_equal(e820_build(e, 8, 0xd0000000), 3); /* exactly up to the gap */
}

static void test_zeropage(void **state)
{
    struct boot_params *bp = malloc(sizeof(*bp));
    memset(bp, 0x5a, sizeof(*bp));
    zeropage_build(bp, &(struct zeropage_args){ 8 * GIB, 42, 0x7f00000, 0x12345, 0xe0000 });
    const uint8_t *raw = (const uint8_t *)bp;
    uint16_t u16;
    uint32_t u32;

    memcpy(&u16, raw + 0x1fe, 2);
    assert_int_equal(u16, 0xaa55);
    memcpy(&u32, raw + 0x202, 4);
    assert_int_equal(u32, 0x53726448);
    assert_int_equal(raw[0x210], 0xff);
    memcpy(&u32, raw + 0x218, 4);
    assert_int_equal(u32, 0x7f00000);
    memcpy(&u32, raw + 0x21c, 4);
    assert_int_equal(u32, 0x12345);
    memcpy(&u32, raw + 0x228, 4);
    assert_int_equal(u32, 0x20000);
    memcpy(&u32, raw + 0x230, 4);
    assert_int_equal(u32, 0x01000000);
    memcpy(&u32, raw + 0x238, 4);
    assert_int_equal(u32, 42);
    assert_int_equal(raw[0x1e8], 4);
    struct e820_entry e;
    memcpy(&e, raw + 0x2d0 + 3 * 20, sizeof(e));
    assert_int_equal(e.addr, 0x100000000ull);
    assert_int_equal(e.size, 8 * GIB - 0xd0000000);
    assert_int_equal(raw[0x100], 0); /* everything else zeroed */
    free(bp);
}

/* ---- MP table ---- */

static void test_mptable(void **state)
{
    static uint8_t buf[MPTABLE_MAX];
    for (unsigned n = 1; n <= 32; n += 31) {
        int size = mptable_build(buf, sizeof(buf), n);
        assert_int_equal(size, (int)mptable_size(n));
        const struct mpf_intel *mpf = (const void *)buf;
        const struct mpc_table *mpc = (const void *)(buf + 16);
        assert_memory_equal(mpf->signature, "_MP_", 4);
        assert_int_equal(mp_checksum(mpf, 16), 0);
        assert_int_equal(mpf->physptr, MPTABLE_ADDR + 16);
        assert_int_equal(mpf->specification, 4);
        assert_memory_equal(mpc->signature, "PCMP", 4);
        assert_int_equal(mp_checksum(mpc, mpc->length), 0);
        assert_int_equal(mpc->spec, 4);
        assert_memory_equal(mpc->oem, "FC", 2);
        assert_int_equal(mpc->lapic, 0xfee00000);
        assert_int_equal(mpc->oemcount, n + 1 + 1 + 24 + 2);
        assert_int_equal(16 + mpc->length, size);

        const struct mpc_cpu *cpu = (const void *)(mpc + 1);
        for (unsigned i = 0; i < n; i++) {
            assert_int_equal(cpu[i].type, MP_PROCESSOR);
            assert_int_equal(cpu[i].apicid, i);
            assert_int_equal(cpu[i].cpuflag, CPU_ENABLED | (i == 0 ? CPU_BOOTPROCESSOR : 0));
        }
        const struct mpc_bus *bus = (const void *)(cpu + n);
        assert_int_equal(bus->type, MP_BUS);
        assert_memory_equal(bus->bustype, "ISA   ", 6);
        const struct mpc_ioapic *io = (const void *)(bus + 1);
        assert_int_equal(io->type, MP_IOAPIC);
        assert_int_equal(io->apicid, n + 1);
        assert_int_equal(io->apicaddr, 0xfec00000);
        const struct mpc_intsrc *src = (const void *)(io + 1);
        for (unsigned irq = 0; irq < 24; irq++) {
            assert_int_equal(src[irq].type, MP_INTSRC);
            assert_int_equal(src[irq].srcbusirq, irq);
            assert_int_equal(src[irq].dstapic, n + 1);
            assert_int_equal(src[irq].dstirq, irq);
        }
        assert_int_equal(src[24].type, MP_LINTSRC);
        assert_int_equal(src[24].irqtype, MP_EXTINT);
        assert_int_equal(src[24].dstirq, 0);
        assert_int_equal(src[25].irqtype, MP_NMI);
        assert_int_equal(src[25].dstapic, 0xff);
        assert_int_equal(src[25].dstirq, 1);
    }
    assert_true(mptable_size(32) <= MPTABLE_MAX);
    assert_int_equal(mptable_build(buf, 100, 1), -ENOSPC);
}

/* ---- page tables, GDT, registers ---- */

static void test_page_tables(void **state)
{
    static uint64_t pml4[512], pdpt[512], pd[512];
    memset(pml4, 0xff, sizeof(pml4));
    boot_page_tables(pml4, pdpt, pd);
    assert_int_equal(pml4[0], 0xa003);
    assert_int_equal(pml4[1], 0);
    assert_int_equal(pdpt[0], 0xb003);
    assert_int_equal(pd[0], 0x83);
    assert_int_equal(pd[1], 0x200083);
    assert_int_equal(pd[511], (511ull << 21) | 0x83);
}

static void test_gdt(void **state)
{
    uint64_t gdt[4];
    struct kvm_segment s;
    boot_gdt(gdt, BOOT_LINUX64);
    assert_int_equal(gdt[0], 0);
    assert_int_equal(gdt[1], 0x00af9b000000ffffull);
    assert_int_equal(gdt[2], 0x00cf93000000ffffull);
    assert_int_equal(gdt[3], 0x008f8b000000ffffull);

    gdt_to_segment(gdt[1], 0x08, &s);
    assert_int_equal(s.base, 0);
    assert_int_equal(s.limit, 0xffffffff);
    assert_int_equal(s.selector, 0x08);
    assert_int_equal(s.type, 0xb);
    assert_int_equal(s.present, 1);
    assert_int_equal(s.s, 1);
    assert_int_equal(s.l, 1);
    assert_int_equal(s.db, 0);
    assert_int_equal(s.g, 1);
    assert_int_equal(s.unusable, 0);
    gdt_to_segment(gdt[3], 0x18, &s);
    assert_int_equal(s.type, 0xb);
    assert_int_equal(s.s, 0);
    assert_int_equal(s.limit, 0xffffffff);  /* G=1 */

    boot_gdt(gdt, BOOT_PVH);
    gdt_to_segment(gdt[1], 0x08, &s);
    assert_int_equal(s.l, 0);
    assert_int_equal(s.db, 1);
    assert_int_equal(s.limit, 0xffffffff);
    gdt_to_segment(gdt[3], 0x18, &s);
    assert_int_equal(s.limit, 0x67);
    gdt_to_segment(0, 0, &s);
    assert_int_equal(s.unusable, 1);
}

static void test_regs_linux64(void **state)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    struct kvm_fpu f;
    memset(&s, 0, sizeof(s));
    s.apic_base = 0xfee00900;
    boot_regs(&r, BOOT_LINUX64, 0x1000000);
    assert_int_equal(r.rip, 0x1000000);
    assert_int_equal(r.rsp, 0x8ff0);
    assert_int_equal(r.rbp, 0x8ff0);
    assert_int_equal(r.rsi, 0x7000);
    assert_int_equal(r.rflags, 2);
    boot_sregs(&s, BOOT_LINUX64);
    assert_int_equal(s.cr0, 0x80010033);
    assert_int_equal(s.cr3, 0x9000);
    assert_int_equal(s.cr4, 0x20);
    assert_int_equal(s.efer, 0x500);
    assert_int_equal(s.gdt.base, 0x500);
    assert_int_equal(s.gdt.limit, 31);
    assert_int_equal(s.idt.base, 0x520);
    assert_int_equal(s.idt.limit, 7);
    assert_int_equal(s.cs.selector, 0x08);
    assert_int_equal(s.cs.l, 1);
    assert_int_equal(s.ds.selector, 0x10);
    assert_int_equal(s.ss.selector, 0x10);
    assert_int_equal(s.gs.type, 0x3);
    assert_int_equal(s.tr.selector, 0x18);
    assert_int_equal(s.apic_base, 0xfee00900); /* kept */
    boot_fpu(&f);
    assert_int_equal(f.fcw, 0x37f);
    assert_int_equal(f.mxcsr, 0x1f80);
}

static void test_regs_pvh(void **state)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    memset(&s, 0, sizeof(s));
    boot_regs(&r, BOOT_PVH, 0x100020);
    assert_int_equal(r.rip, 0x100020);
    assert_int_equal(r.rbx, 0x6000);
    assert_int_equal(r.rflags, 2);
    boot_sregs(&s, BOOT_PVH);
    assert_int_equal(s.cr0 & X86_CR0_PE, X86_CR0_PE);
    assert_int_equal(s.cr0 & X86_CR0_PG, 0);
    assert_int_equal(s.cr4, 0);
    assert_int_equal(s.efer, 0);
    assert_int_equal(s.cs.db, 1);
    assert_int_equal(s.cs.l, 0);
    assert_int_equal(s.cs.type, 0xb);
    assert_int_equal(s.cs.base, 0);
    assert_int_equal(s.cs.limit, 0xffffffff);
}

static void test_lapic(void **state)
{
    struct kvm_lapic_state l;
    uint32_t v;
    memset(&l, 0, sizeof(l));
    v = 0x10700; /* masked, some old mode */
    memcpy(&l.regs[0x350], &v, 4);
    boot_lapic(&l);
    memcpy(&v, &l.regs[0x350], 4);
    assert_int_equal(v, 0x10700);     /* ExtINT = 7 */
    memcpy(&v, &l.regs[0x360], 4);
    assert_int_equal(v, 0x400);       /* NMI = 4 */
}

/* ---- PVH ---- */

static void test_pvh(void **state)
{
    struct hvm_start_info si;
    struct hvm_modlist_entry mod;
    struct hvm_memmap_table_entry map[PVH_MEMMAP_MAX];
    unsigned n = pvh_build(&si, &mod, map, &(struct pvh_args){ 8 * GIB, 0xcf000000, 4096, 0xe0000 });
    assert_int_equal(n, 4);
    assert_int_equal(si.magic, 0x336ec578);
    assert_int_equal(si.version, 1);
    assert_int_equal(si.cmdline_paddr, 0x20000);
    assert_int_equal(si.memmap_paddr, 0x7000);
    assert_int_equal(si.memmap_entries, 4);
    assert_int_equal(si.nr_modules, 1);
    assert_int_equal(si.modlist_paddr, 0x6040);
    assert_int_equal(mod.paddr, 0xcf000000);
    assert_int_equal(mod.size, 4096);
    assert_int_equal(map[1].type, E820_RESERVED);
    assert_int_equal(map[3].addr, 0x100000000ull);

    pvh_build(&si, &mod, map, &(struct pvh_args){ 128 * MIB, 0, 0, 0 });
    assert_int_equal(si.nr_modules, 0);
    assert_int_equal(si.modlist_paddr, 0);
    assert_int_equal(si.memmap_entries, 3);
}

/* ---- initrd placement and the whole image ---- */

static void test_initrd_place(void **state)
{
    gpa_t a;
    assert_int_equal(initrd_place(128 * MIB, MIB, 2 * MIB, 5000, &a), 0);
    assert_int_equal(a, 128 * MIB - 0x2000);
    assert_int_equal(initrd_place(8 * GIB, MIB, 2 * MIB, 4096, &a), 0);
    assert_int_equal(a, 0xd0000000 - 4096);  /* below the gap, not at the end of RAM */
    assert_int_equal(initrd_place(4 * MIB, MIB, 3 * MIB, 2 * MIB, &a), -ENOSPC);
    assert_int_equal(initrd_place(2 * MIB, MIB, MIB + 4096, 2 * MIB, &a), -ENOSPC);
}

static char path_kernel[] = "/tmp/vmm_boot_kernelXXXXXX";
static char path_initrd[] = "/tmp/vmm_boot_initrdXXXXXX";

/* (Re)creates the file named by a mkstemp template held in path. */
static void write_file(char *path, const void *data, size_t len)
{
    if (strcmp(path + strlen(path) - 6, "XXXXXX")) {
        unlink(path);
        strcpy(path + strlen(path) - 6, "XXXXXX");
    }
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    close(fd);
}

static void test_boot_image(void **state)
{
    struct vm_config c;
    struct boot_plan p;
    char err[512];

    write_file(path_kernel, img, build_elf(HIMEM_START, 1));
    write_file(path_initrd, "INITRD", 6);
    memset(&c, 0, sizeof(c));
    c.kernel_path = path_kernel;
    c.initrd_path = path_initrd;
    c.cmdline = "console=ttyS0";
    c.vcpus = 2;
    c.mem_mib = 4;

    assert_int_equal(boot_prepare(&p, &c, err, sizeof(err)), 0);
    assert_int_equal(p.entry, HIMEM_START + 0x10);
    assert_int_equal(p.initrd_addr, 4 * MIB - 4096);
    struct guest_mem m = { calloc(1, 4 * MIB), 4 * MIB };
    assert_int_equal(boot_load(&p, &m, err, sizeof(err)), 0);
    assert_string_equal((char *)m.host + 0x20000, "console=ttyS0");
    assert_memory_equal(m.host + p.initrd_addr, "INITRD", 6);
    const struct boot_params *bp = (const void *)(m.host + 0x7000);
    assert_int_equal(bp->hdr.boot_flag, 0xaa55);
    assert_int_equal(bp->hdr.cmdline_size, 14);
    assert_int_equal(bp->hdr.ramdisk_image, 4 * MIB - 4096);
    assert_int_equal(bp->hdr.ramdisk_size, 6);
    assert_memory_equal(m.host + 0x9fc00, "_MP_", 4);
    uint64_t pml4;
    memcpy(&pml4, m.host + 0x9000, 8);
    assert_int_equal(pml4, 0xa003);
    uint64_t code;
    memcpy(&code, m.host + 0x508, 8);
    assert_int_equal(code, 0x00af9b000000ffffull);
    assert_int_equal(m.host[HIMEM_START], 0xcc);
    /* ACPI (the default): RSDP at 0xe0000, named by the zero page; the AP wake-up tables */
    assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);
    assert_memory_equal(m.host + 0xe0000, "RSD PTR ", 8);
    assert_memory_equal(m.host + 0xe0400, "APIC", 4);
    assert_memory_equal(m.host + 0xe1000, "DSDT", 4);
    memcpy(&pml4, m.host + 0xa0000, 8);
    assert_int_equal(pml4, 0xa1003);
    memcpy(&code, m.host + 0xa3008, 8);
    assert_int_equal(code, 0x00af9b000000ffffull);
    free(m.host);

    /* --no-acpi: none of it, and the MP table still there */
    c.no_acpi = true;
    assert_int_equal(boot_prepare(&p, &c, err, sizeof(err)), 0);
    m.host = calloc(1, 4 * MIB);
    assert_int_equal(boot_load(&p, &m, err, sizeof(err)), 0);
    bp = (const void *)(m.host + 0x7000);
    assert_int_equal(bp->acpi_rsdp_addr, 0);
    for (size_t i = 0xa0000; i < HIMEM_START; i++)
        assert_int_equal(m.host[i], 0);
    assert_memory_equal(m.host + 0x9fc00, "_MP_", 4);
    free(m.host);
    c.no_acpi = false;

    /* PVH: start_info instead of the zero page, entry from the note */
    c.boot = BOOT_PVH;
    assert_int_equal(boot_prepare(&p, &c, err, sizeof(err)), 0);
    assert_int_equal(p.entry, HIMEM_START + 0x20);
    m.host = calloc(1, 4 * MIB);
    assert_int_equal(boot_load(&p, &m, err, sizeof(err)), 0);
    const struct hvm_start_info *si = (const void *)(m.host + 0x6000);
    assert_int_equal(si->magic, HVM_START_MAGIC);
    assert_int_equal(si->nr_modules, 1);
    assert_int_equal(si->rsdp_paddr, 0xe0000);
    memcpy(&code, m.host + 0xa3008, 8);         /* the AP GDT is 64-bit under PVH too */
    assert_int_equal(code, 0x00af9b000000ffffull);
    const struct hvm_memmap_table_entry *map = (const void *)(m.host + 0x7000);
    assert_int_equal(map[2].addr, HIMEM_START);
    free(m.host);

    /* RAM too small for kernel + initrd */
    c.boot = BOOT_LINUX64;
    c.mem_mib = 1;
    assert_true(boot_prepare(&p, &c, err, sizeof(err)) < 0);
    char want[512];
    snprintf(want, sizeof(want), "kernel %s: segment 0 [0x100000, 0x103000) is outside guest "
             "RAM (1 MiB)", path_kernel);
    assert_string_equal(err, want);
    c.mem_mib = 2;
    uint8_t *big = calloc(1, MIB);
    write_file(path_initrd, big, MIB); /* 1 MiB + kernel > 2 MiB - 1 MiB */
    free(big);
    assert_true(boot_prepare(&p, &c, err, sizeof(err)) < 0);
    snprintf(want, sizeof(want), "initrd %s: RAM too small for kernel + initrd (2 MiB RAM, "
             "kernel ends at 0x103000, initrd 1048576 bytes)", path_initrd);
    assert_string_equal(err, want);

    /* PVH without the note */
    write_file(path_kernel, img, build_elf(HIMEM_START, 0));
    c.mem_mib = 64;
    c.boot = BOOT_PVH;
    assert_true(boot_prepare(&p, &c, err, sizeof(err)) < 0);
    snprintf(want, sizeof(want), "kernel %s: no PVH entry note (Xen XEN_ELFNOTE_PHYS32_ENTRY); "
             "boot it with --boot-protocol linux", path_kernel);
    assert_string_equal(err, want);

    /* not an ELF; missing file */
    c.kernel_path = path_initrd;
    c.boot = BOOT_LINUX64;
    img[0] = 0;
    write_file(path_initrd, "hello world", 11);
    assert_true(boot_prepare(&p, &c, err, sizeof(err)) < 0);
    snprintf(want, sizeof(want), "kernel %s: not an ELF file", path_initrd);
    assert_string_equal(err, want);
    c.kernel_path = "/nonexistent/vmlinux";
    assert_true(boot_prepare(&p, &c, err, sizeof(err)) < 0);
    assert_string_equal(err, "kernel /nonexistent/vmlinux: No such file or directory");
    unlink(path_kernel);
    unlink(path_initrd);
}

static void test_guest_ptr(void **state)
{
    uint8_t host[16];
    struct guest_mem m = { host, 16 };
    assert_ptr_equal(guest_ptr(&m, 0, 16), host);
    assert_ptr_equal(guest_ptr(&m, 15, 1), host + 15);
    assert_null(guest_ptr(&m, 15, 2));
    assert_ptr_equal(guest_ptr(&m, 16, 0), host + 16);
    assert_null(guest_ptr(&m, UINT64_MAX, 2));
    assert_null(guest_ptr(&m, 8, UINT64_MAX));
    assert_true(mem_range_is_ram(5 * GIB, 0x100000000ull, GIB));
    assert_false(mem_range_is_ram(5 * GIB, 0x100000000ull, GIB + 0x30000001));
    assert_false(mem_range_is_ram(5 * GIB, 0xd0000000, 1));
    assert_int_equal(mem_high_size(5 * GIB), 5 * GIB - 0xd0000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_good),
        cmocka_unit_test(test_kernel_no_pvh_note),
        cmocka_unit_test(test_kernel_broken),
        cmocka_unit_test(test_kernel_above_4g),
        cmocka_unit_test(test_e820_small),
        cmocka_unit_test(test_e820_gap),
        cmocka_unit_test(test_zeropage),
        cmocka_unit_test(test_mptable),
        cmocka_unit_test(test_page_tables),
        cmocka_unit_test(test_gdt),
        cmocka_unit_test(test_regs_linux64),
        cmocka_unit_test(test_regs_pvh),
        cmocka_unit_test(test_lapic),
        cmocka_unit_test(test_pvh),
        cmocka_unit_test(test_initrd_place),
        cmocka_unit_test(test_boot_image),
        cmocka_unit_test(test_guest_ptr),
    };
    return cmocka_run_group_tests_name("vmm_boot", tests, NULL, NULL);
}

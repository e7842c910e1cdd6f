/* Boot image assembly; see boot.h. Addresses come from layout.h. */
#include "vmm/boot/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot/mptable.h"
#include "vmm/boot/pvh.h"
#include "vmm/boot/tables.h"
#include "vmm/boot/zeropage.h"

int initrd_place(uint64_t ram_size, gpa_t kstart, gpa_t kend, uint64_t size, gpa_t *addr)
{
    uint64_t top = mem_low_size(ram_size);
    if (size > top - HIMEM_START)
        return -ENOSPC;
    gpa_t a = (top - size) & ~(PAGE_SIZE_4K - 1);
    if (a < HIMEM_START || (a < kend && kstart < a + size))
        return -ENOSPC;
    *addr = a;
    return 0;
}

int boot_prepare(struct boot_plan *p, const struct vm_config *c, char *err, size_t errlen)
{
    char why[256];
    int rc;

    memset(p, 0, sizeof(*p));
    p->proto = c->boot;
    p->ram_size = c->mem_mib << 20;
    p->vcpus = c->vcpus;
    p->kernel_path = c->kernel_path;
    p->cmdline = c->cmdline;
    p->initrd_path = c->initrd_path;
    p->acpi = !c->no_acpi;

    if ((rc = kernel_open(&p->kernel, c->kernel_path, why, sizeof(why))) ||
        (rc = kernel_check(&p->kernel, p->kernel.map, p->kernel.map_size, p->ram_size, why,
                           sizeof(why)))) {
        snprintf(err, errlen, "kernel %s: %s", c->kernel_path, why);
        return rc;
    }
    p->entry = p->kernel.entry;
    if (p->proto == BOOT_PVH) {
        uint32_t entry;
        if (kernel_pvh_entry(&p->kernel, &entry)) {
            snprintf(err, errlen, "kernel %s: no PVH entry note (Xen XEN_ELFNOTE_PHYS32_ENTRY);"
                     " boot it with --boot-protocol linux", c->kernel_path);
            return -ENOEXEC;
        }
        p->entry = entry;
    }
    if (c->initrd_path) {
        struct stat st;
        if (stat(c->initrd_path, &st)) {
            snprintf(err, errlen, "initrd %s: %s", c->initrd_path, strerror(errno));
            return -errno;
        }
        p->initrd_size = st.st_size;
        if (p->initrd_size &&
            initrd_place(p->ram_size, p->kernel.start, p->kernel.end, p->initrd_size,
                         &p->initrd_addr)) {
            snprintf(err, errlen, "initrd %s: RAM too small for kernel + initrd (%llu MiB RAM, "
                     "kernel ends at 0x%llx, initrd %llu bytes)", c->initrd_path,
                     (unsigned long long)c->mem_mib, (unsigned long long)p->kernel.end,
                     (unsigned long long)p->initrd_size);
            return -ENOSPC;
        }
    }
    return 0;
}

static int load_initrd(const struct boot_plan *p, const struct guest_mem *m, char *err,
                       size_t errlen)
{
    uint8_t *dst = guest_ptr(m, p->initrd_addr, p->initrd_size);
    int fd = open(p->initrd_path, O_RDONLY | O_CLOEXEC);
    uint64_t done = 0;

    if (fd < 0 || !dst) {
        snprintf(err, errlen, "initrd %s: %s", p->initrd_path, strerror(fd < 0 ? errno : EFAULT));
        if (fd >= 0)
            close(fd);
        return -EIO;
    }
    while (done < p->initrd_size) {
        ssize_t n = read(fd, dst + done, p->initrd_size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "initrd %s: %s", p->initrd_path,
                     n < 0 ? strerror(errno) : "file shrank while loading");
            close(fd);
            return -EIO;
        }
        done += n;
    }
    close(fd);
    return 0;
}

/* Descriptor tables and, for the 64-bit entry, page tables. */
static void load_cpu_tables(const struct boot_plan *p, const struct guest_mem *m)
{
    uint64_t gdt[BOOT_GDT_ENTRIES];
    size_t t = PT_ENTRIES * sizeof(uint64_t);

    boot_gdt(gdt, p->proto);
    memcpy(guest_ptr(m, GDT_ADDR, sizeof(gdt)), gdt, sizeof(gdt));
    memset(guest_ptr(m, IDT_ADDR, sizeof(uint64_t)), 0, sizeof(uint64_t));
    if (p->proto == BOOT_LINUX64)
        boot_page_tables(guest_ptr(m, PML4_ADDR, t), guest_ptr(m, PDPT_ADDR, t),
                         guest_ptr(m, PD_ADDR, t));
    if (!p->acpi)
        return;
    /* The 64-bit GDT and identity map an AP woken through the mailbox starts with, for
     * both entries, in reserved memory. */
    boot_gdt(gdt, BOOT_LINUX64);
    memcpy(guest_ptr(m, AP_GDT_ADDR, sizeof(gdt)), gdt, sizeof(gdt));
    memset(guest_ptr(m, AP_IDT_ADDR, sizeof(uint64_t)), 0, sizeof(uint64_t));
    boot_page_tables_at(guest_ptr(m, AP_PML4_ADDR, t), guest_ptr(m, AP_PDPT_ADDR, t),
                        guest_ptr(m, AP_PD_ADDR, t), AP_PDPT_ADDR, AP_PD_ADDR);
}

static int load_acpi(const struct boot_plan *p, const struct guest_mem *m, char *err,
                     size_t errlen)
{
    struct acpi_config c = { p->vcpus, p->mmio_devs, p->n_mmio_devs };
    uint64_t len = ACPI_AREA_END - ACPI_RSDP_ADDR;
    int rc = acpi_build(guest_ptr(m, ACPI_RSDP_ADDR, len), len, &c);
    if (rc)
        snprintf(err, errlen, "ACPI tables: %s (%u vCPUs, %u virtio-mmio devices)",
                 strerror(-rc), p->vcpus, p->n_mmio_devs);
    return rc;
}

int boot_load(const struct boot_plan *p, const struct guest_mem *m, char *err, size_t errlen)
{
    size_t cmdlen = strlen(p->cmdline) + 1;
    int rc;

    if (kernel_load(&p->kernel, m)) {
        snprintf(err, errlen, "kernel %s: segment outside guest RAM", p->kernel_path);
        return -EFAULT;
    }
    if (p->initrd_size && (rc = load_initrd(p, m, err, errlen)))
        return rc;
    if (cmdlen > CMDLINE_MAX) {
        snprintf(err, errlen, "command line: too long (%zu bytes, at most %u)", cmdlen - 1,
                 CMDLINE_MAX - 1);
        return -E2BIG;
    }
    memcpy(guest_ptr(m, CMDLINE_ADDR, cmdlen), p->cmdline, cmdlen);
    load_cpu_tables(p, m);
    if (mptable_build(guest_ptr(m, MPTABLE_ADDR, MPTABLE_MAX), MPTABLE_MAX, p->vcpus) < 0) {
        snprintf(err, errlen, "MP table: too many vCPUs (%u)", p->vcpus);
        return -ENOSPC;
    }
    if (p->acpi && (rc = load_acpi(p, m, err, errlen)))
        return rc;
    gpa_t rsdp = p->acpi ? ACPI_RSDP_ADDR : 0;
    if (p->proto == BOOT_PVH) {
        pvh_build(guest_ptr(m, PVH_INFO_ADDR, sizeof(struct hvm_start_info)),
                  guest_ptr(m, PVH_MODLIST_ADDR, sizeof(struct hvm_modlist_entry)),
                  guest_ptr(m, PVH_MEMMAP_ADDR,
                            PVH_MEMMAP_MAX * sizeof(struct hvm_memmap_table_entry)),
                  &(struct pvh_args){ p->ram_size, p->initrd_addr, p->initrd_size, rsdp });
    } else {
        zeropage_build(guest_ptr(m, ZERO_PAGE_ADDR, sizeof(struct boot_params)),
                       &(struct zeropage_args){ p->ram_size, (uint32_t)cmdlen, p->initrd_addr,
                                                p->initrd_size, rsdp });
    }
    return 0;
}

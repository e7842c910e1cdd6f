/* Entry register state; see regs.h. */
#include "vmm/boot/regs.h"

#include <string.h>

#include "vmm/boot/layout.h"
#include "vmm/boot/tables.h"

void boot_regs(struct kvm_regs *r, enum boot_protocol proto, uint64_t entry)
{
    memset(r, 0, sizeof(*r));
    r->rflags = 0x2;
    r->rip = entry;
    if (proto == BOOT_PVH) {
        r->rbx = PVH_INFO_ADDR;
        return;
    }
    r->rsp = BOOT_STACK_ADDR;
    r->rbp = BOOT_STACK_ADDR;
    r->rsi = ZERO_PAGE_ADDR;
}

void boot_sregs(struct kvm_sregs *s, enum boot_protocol proto)
{
    uint64_t gdt[BOOT_GDT_ENTRIES];
    struct kvm_segment data;

    boot_gdt(gdt, proto);
    s->gdt.base = GDT_ADDR;
    s->gdt.limit = sizeof(gdt) - 1;
    s->idt.base = IDT_ADDR;
    s->idt.limit = sizeof(uint64_t) - 1;

    gdt_to_segment(gdt[1], SEL_CODE, &s->cs);
    gdt_to_segment(gdt[2], SEL_DATA, &data);
    s->ds = s->es = s->fs = s->gs = s->ss = data;
    gdt_to_segment(gdt[3], SEL_TSS, &s->tr);

    if (proto == BOOT_PVH) {
        s->cr0 = BOOT_CR0_PVH;
        s->cr3 = 0;
        s->cr4 = 0;
        s->efer = 0;
        return;
    }
    s->cr0 = BOOT_CR0_LONG;
    s->cr3 = PML4_ADDR;
    s->cr4 = X86_CR4_PAE;
    s->efer = EFER_LME | EFER_LMA;
}

void boot_ap_regs(struct kvm_regs *r, uint32_t apic_id, uint64_t entry)
{
    memset(r, 0, sizeof(*r));
    r->rflags = 0x2;
    r->rip = entry;
    r->rdi = apic_id;
}

void boot_ap_sregs(struct kvm_sregs *s)
{
    boot_sregs(s, BOOT_LINUX64);
    s->gdt.base = AP_GDT_ADDR;
    s->idt.base = AP_IDT_ADDR;
    s->cr3 = AP_PML4_ADDR;
}

void boot_fpu(struct kvm_fpu *f)
{
    memset(f, 0, sizeof(*f));
    f->fcw = 0x37f;
    f->mxcsr = 0x1f80;
}

static void set_delivery_mode(struct kvm_lapic_state *l, unsigned reg, uint32_t mode)
{
    uint32_t v;
    memcpy(&v, &l->regs[reg], sizeof(v));
    v = (v & ~0x700u) | (mode << 8);
    memcpy(&l->regs[reg], &v, sizeof(v));
}

void boot_lapic(struct kvm_lapic_state *l)
{
    set_delivery_mode(l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
    set_delivery_mode(l, APIC_LVT_LINT1, APIC_MODE_NMI);
}

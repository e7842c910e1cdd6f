/* CPUID normalisation; see cpuid.h. Bit positions: Intel SDM vol. 2A, CPUID instruction. */
#include "vmm/kvm/cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#define LEAF1_ECX_PDCM (1u << 15)
#define LEAF1_ECX_TSC_DEADLINE (1u << 24)
#define LEAF1_ECX_HYPERVISOR (1u << 31)
#define LEAF1_EDX_HTT (1u << 28)
#define CLFLUSH_LINE_QWORDS 8 /* 64-byte lines */
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2

struct kvm_cpuid2 *cpuid_supported(int kvm_fd)
{
    size_t size = sizeof(struct kvm_cpuid2) + (CPUID_MAX_ENTRIES + 1) *
                                                  sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, size);
    if (!c)
        return NULL;
    c->nent = CPUID_MAX_ENTRIES;
    if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) < 0) {
        int err = errno;
        free(c);
        errno = err;
        return NULL;
    }
    return c;
}

struct kvm_cpuid_entry2 *cpuid_find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        if (e->function == function &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == index))
            return e;
    }
    return NULL;
}

/* Smallest s with (1 << s) >= n. */
static uint32_t order(unsigned n)
{
    uint32_t s = 0;
    while ((1u << s) < n)
        s++;
    return s;
}

static void leaf1(struct kvm_cpuid_entry2 *e, const struct cpuid_topology *t)
{
    e->ebx = (e->ebx & 0xff) | (CLFLUSH_LINE_QWORDS << 8) | ((t->count & 0xff) << 16) |
             ((t->index & 0xff) << 24);
    e->ecx |= LEAF1_ECX_TSC_DEADLINE | LEAF1_ECX_HYPERVISOR;
    e->ecx &= ~LEAF1_ECX_PDCM;
    if (t->count > 1)
        e->edx |= LEAF1_EDX_HTT;
    else
        e->edx &= ~LEAF1_EDX_HTT;
}

/* Deterministic cache parameters: who shares each cache, cores per package. */
static void leaf4(struct kvm_cpuid_entry2 *e, const struct cpuid_topology *t)
{
    unsigned threads = t->smt ? 2 : 1;
    unsigned cores = (t->count + threads - 1) / threads;
    unsigned level = (e->eax >> 5) & 7;
    if ((e->eax & 0x1f) == 0)
        return; /* no more caches */
    unsigned sharing = level <= 2 ? threads : t->count;
    e->eax &= ~((0xfffu << 14) | (0x3fu << 26));
    e->eax |= ((sharing - 1) & 0xfff) << 14;
    e->eax |= ((cores - 1) & 0x3f) << 26;
}

/* Extended topology (0xB, and 0x1F when present): level 0 SMT, level 1 core (the package). */
static void leaf_topology(struct kvm_cpuid_entry2 *e, const struct cpuid_topology *t)
{
    unsigned threads = t->smt ? 2 : 1;
    e->edx = t->index; /* x2APIC id */
    switch (e->index) {
    case 0:
        e->eax = order(threads);
        e->ebx = threads;
        e->ecx = (TOPO_LEVEL_SMT << 8) | e->index;
        break;
    case 1:
        e->eax = order(t->count);
        e->ebx = t->count;
        e->ecx = (TOPO_LEVEL_CORE << 8) | e->index;
        break;
    default:
        e->eax = e->ebx = 0;
        e->ecx = e->index; /* level type 0: invalid, enumeration ends */
        break;
    }
}

void cpuid_normalize(struct kvm_cpuid2 *c, unsigned capacity, const struct cpuid_topology *t)
{
    for (uint32_t i = 0; i < c->nent; i++) {
        struct kvm_cpuid_entry2 *e = &c->entries[i];
        switch (e->function) {
        case 0x1: leaf1(e, t); break;
        case 0x4: leaf4(e, t); break;
        case 0x6: /* no thermal/power management */
        case 0xa: /* no PMU */
            e->eax = e->ebx = e->ecx = e->edx = 0;
            break;
        case 0xb:
        case 0x1f: leaf_topology(e, t); break;
        default: break;
        }
    }
    if (!t->tsc_khz)
        return;
    struct kvm_cpuid_entry2 *base = cpuid_find(c, 0x40000000, 0);
    if (!base)
        return; /* no KVM signature leaf: do not invent hypervisor leaves */
    struct kvm_cpuid_entry2 *timing = cpuid_find(c, CPUID_LEAF_TIMING, 0);
    if (!timing) {
        if (c->nent >= capacity)
            return;
        timing = &c->entries[c->nent++];
    }
    memset(timing, 0, sizeof(*timing));
    timing->function = CPUID_LEAF_TIMING;
    timing->eax = t->tsc_khz;
    timing->ebx = LAPIC_BUS_KHZ;
    base = cpuid_find(c, 0x40000000, 0); /* the array did not move, but be plain about it */
    if (base->eax < CPUID_LEAF_TIMING)
        base->eax = CPUID_LEAF_TIMING;
}

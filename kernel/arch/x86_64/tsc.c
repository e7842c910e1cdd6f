/* TSC frequency, cheapest source first: the hypervisor timing leaf 0x40000010 (EAX = TSC kHz;
 * motevm fills it, as VMware and KVM-with-QEMU's vmware-cpuid-freq do), kvmclock's scale,
 * CPUID 0x15 (crystal ratio), CPUID 0x16 (base MHz), and last 10 ms of PIT channel 0 (8254). */
#include "mote/bootchart.h"
#include "mote/mm.h"
#include "mote/x86.h"

#define PIT_HZ 1193182
#define CALIBRATE_MS 10
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)

static uint16_t pit_read0(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    return lo | (uint16_t)inb(0x40) << 8;
}

/* Channel 0 as a free-running mode 2 counter, read back through latches: works without the
 * port 0x61 gate that microVM machines lack. Returns 0 when no PIT counts. */
static uint64_t pit_calibrate(void)
{
    outb(0x43, 0x34); /* channel 0, lo/hi, mode 2, binary */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    uint16_t last = pit_read0();
    uint64_t start = rdtsc(), elapsed = 0, still = 0;
    while (elapsed < PIT_HZ / 1000 * CALIBRATE_MS) {
        uint16_t now = pit_read0();
        if (now == last) {
            if (++still > 100000)
                return 0;
            continue;
        }
        elapsed += (uint16_t)(last - now);
        last = now;
    }
    return (rdtsc() - start) * PIT_HZ / elapsed / 1000;
}

/* kvmclock (Linux Documentation/virt/kvm/x86/msr.rst): the hypervisor publishes the TSC-to-ns
 * scale in pvclock_vcpu_time_info; the frequency follows from it. */
static uint64_t kvmclock_khz(void)
{
    static volatile struct {
        uint32_t version, pad0;
        uint64_t tsc_timestamp, system_time;
        uint32_t tsc_to_system_mul;
        int8_t tsc_shift;
        uint8_t flags, pad[2];
    } __attribute__((aligned(32))) ti;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, virt_to_phys((const void *)&ti) | 1);
    uint32_t mul = ti.tsc_to_system_mul;
    int shift = ti.tsc_shift;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, 0);
    if (!mul)
        return 0;
    uint64_t khz = (1000000ull << 32) / mul;
    return shift >= 0 ? khz >> shift : khz << -shift;
}

uint64_t arch_tsc_khz(void)
{
    static uint64_t khz;
    if (khz)
        return khz;
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    if (c & (1u << 31)) { /* hypervisor present */
        cpuid(0x40000000, 0, &a, &b, &c, &d);
        uint32_t max_hv = a;
        bool kvm = b == 0x4b4d564b && c == 0x564b4d56 && d == 0x4d; /* "KVMKVMKVM" */
        if (max_hv >= 0x40000010) {
            cpuid(0x40000010, 0, &a, &b, &c, &d);
            if (a)
                return khz = a;
        }
        if (kvm && max_hv >= 0x40000001) {
            cpuid(0x40000001, 0, &a, &b, &c, &d);
            if ((a & KVM_FEATURE_CLOCKSOURCE2) && (khz = kvmclock_khz()))
                return khz;
        }
    }
    cpuid(0, 0, &a, &b, &c, &d);
    uint32_t max = a;
    if (max >= 0x15) {
        cpuid(0x15, 0, &a, &b, &c, &d);
        if (a && b && c)
            return khz = (uint64_t)c * b / a / 1000;
    }
    if (max >= 0x16) {
        cpuid(0x16, 0, &a, &b, &c, &d);
        if (a)
            return khz = (uint64_t)a * 1000;
    }
    return khz = pit_calibrate();
}

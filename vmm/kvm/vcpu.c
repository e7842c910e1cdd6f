/* vCPU set-up and run loop; see vcpu.h. Exit reasons: Linux Documentation/virt/kvm/api.rst
 * §5 "The kvm_run structure". */
#include "vmm/kvm/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmm/boot/regs.h"
#include "vmm/kvm/cpuid.h"
#include "vmm/kvm/msr.h"
#include "vmm/kvm/stats.h"
#include "vmm/kvm/wake.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

static int fail(char *err, size_t errlen, unsigned index, const char *step)
{
    int e = errno;
    snprintf(err, errlen, "vcpu%u: %s: %s", index, step, strerror(e));
    return -e;
}

static int set_cpuid(struct vcpu *v, char *err, size_t errlen)
{
    const struct kvm_cpuid2 *sup = v->m->vm.cpuid;
    size_t size = sizeof(*sup) + (CPUID_MAX_ENTRIES + 1) * sizeof(sup->entries[0]);
    struct kvm_cpuid2 *c = malloc(size);
    if (!c)
        return fail(err, errlen, v->index, "CPUID");
    memcpy(c, sup, sizeof(*sup) + sup->nent * sizeof(sup->entries[0]));

    int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);
    struct cpuid_topology t = { .index = v->index, .count = v->m->cfg->vcpus,
                                .smt = v->m->cfg->smt, .tsc_khz = khz > 0 ? khz : 0 };
    cpuid_normalize(c, CPUID_MAX_ENTRIES + 1, &t);
    int rc = ioctl(v->fd, KVM_SET_CPUID2, c);
    free(c);
    return rc < 0 ? fail(err, errlen, v->index, "KVM_SET_CPUID2") : 0;
}

/* Registers for the kernel's entry: only the boot processor gets them. */
static int set_boot_regs(struct vcpu *v, char *err, size_t errlen)
{
    const struct boot_plan *p = v->m->plan;
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    struct kvm_fpu fpu;

    if (ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0)
        return fail(err, errlen, v->index, "KVM_GET_SREGS");
    boot_sregs(&sregs, p->proto);
    if (ioctl(v->fd, KVM_SET_SREGS, &sregs) < 0)
        return fail(err, errlen, v->index, "KVM_SET_SREGS");
    boot_regs(&regs, p->proto, p->entry);
    if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0)
        return fail(err, errlen, v->index, "KVM_SET_REGS");
    boot_fpu(&fpu);
    if (ioctl(v->fd, KVM_SET_FPU, &fpu) < 0)
        return fail(err, errlen, v->index, "KVM_SET_FPU");
    return 0;
}

int vcpu_create(struct machine *m, unsigned index, char *err, size_t errlen)
{
    struct vcpu *v = &m->vcpus[index];
    unsigned refused = 0;
    int rc;

    v->index = index;
    v->m = m;
    v->stats_fd = -1;
    if ((rc = vcpu_wake_init(v))) {
        errno = -rc;
        return fail(err, errlen, index, "wakeup lock");
    }
    v->fd = ioctl(m->vm.vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
    if (v->fd < 0)
        return fail(err, errlen, index, "KVM_CREATE_VCPU");
    v->run = mmap(NULL, m->vm.run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
    if (v->run == MAP_FAILED)
        return fail(err, errlen, index, "mmap kvm_run");
    if (log_enabled(LOG_DEBUG)) {
        v->stats_fd = stats_open(v->fd);
        if (v->stats_fd < 0)
            log_msg(LOG_DEBUG, "vcpu%u: no binary stats (KVM_GET_STATS_FD: %s)", index,
                    strerror(-v->stats_fd));
    }
    if ((rc = set_cpuid(v, err, errlen)))
        return rc;
    rc = msr_set_boot(v->fd, &refused);
    if (rc < 0) {
        errno = -rc;
        return fail(err, errlen, index, "KVM_SET_MSRS");
    }
    if (rc > 0)
        log_msg(LOG_WARN, "vcpu%u: KVM refused MSR 0x%x; later boot MSRs not set", index,
                refused);

    struct kvm_lapic_state lapic;
    if (ioctl(v->fd, KVM_GET_LAPIC, &lapic) < 0)
        return fail(err, errlen, index, "KVM_GET_LAPIC");
    boot_lapic(&lapic);
    if (ioctl(v->fd, KVM_SET_LAPIC, &lapic) < 0)
        return fail(err, errlen, index, "KVM_SET_LAPIC");
    return index == 0 ? set_boot_regs(v, err, errlen) : 0;
}

/* ---- the run loop ---- */

static void dump_segment(char *buf, size_t len, const char *name, const struct kvm_segment *s)
{
    snprintf(buf, len, "%s=%04x base=%llx limit=%x type=%x dpl=%u p=%u l=%u db=%u", name,
             s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl, s->present,
             s->l, s->db);
}

/* A register dump on stderr for the reason the VM dies. */
static void dump_state(struct vcpu *v, const char *why)
{
    struct kvm_regs r;
    struct kvm_sregs s;
    char cs[128], ss[128];

    if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
        fprintf(stderr, "motevm: vcpu%u: %s (registers unavailable: %s)\n", v->index, why,
                strerror(errno));
        return;
    }
    dump_segment(cs, sizeof(cs), "cs", &s.cs);
    dump_segment(ss, sizeof(ss), "ss", &s.ss);
    fprintf(stderr,
            "motevm: vcpu%u: %s\n"
            "  rip=%016llx rsp=%016llx rbp=%016llx rflags=%08llx\n"
            "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
            "  rsi=%016llx rdi=%016llx r8 =%016llx r9 =%016llx\n"
            "  r10=%016llx r11=%016llx r12=%016llx r13=%016llx\n"
            "  r14=%016llx r15=%016llx\n"
            "  cr0=%016llx cr2=%016llx cr3=%016llx cr4=%016llx efer=%llx\n"
            "  %s\n  %s\n"
            "  gdt=%llx/%x idt=%llx/%x\n",
            v->index, why, r.rip, r.rsp, r.rbp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi,
            r.rdi, r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3,
            s.cr4, s.efer, cs, ss, s.gdt.base, s.gdt.limit, s.idt.base, s.idt.limit);
}

static void handle_io(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    size_t bytes = (size_t)run->io.size * run->io.count;
    if (run->io.data_offset > v->m->vm.run_size || bytes > v->m->vm.run_size - run->io.data_offset) {
        dump_state(v, "port I/O data outside kvm_run");
        machine_stop(v->m, EXIT_KVM_ERROR);
        return;
    }
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    metric_inc(run->io.direction == KVM_EXIT_IO_OUT ? M_vcpu__exit_io_out : M_vcpu__exit_io_in);
    if (run->io.direction == KVM_EXIT_IO_OUT) {
        bus_write(&v->m->bus, BUS_PIO, run->io.port, data, run->io.size, run->io.count);
        return;
    }
    for (uint32_t i = 0; i < run->io.count; i++)
        bus_read(&v->m->bus, BUS_PIO, run->io.port, data + (size_t)i * run->io.size,
                 run->io.size);
}

static void handle_mmio(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    unsigned len = run->mmio.len <= 8 ? run->mmio.len : 8;
    metric_inc(run->mmio.is_write ? M_vcpu__exit_mmio_write : M_vcpu__exit_mmio_read);
    if (run->mmio.is_write)
        bus_write(&v->m->bus, BUS_MMIO, run->mmio.phys_addr, run->mmio.data, len, 1);
    else
        bus_read(&v->m->bus, BUS_MMIO, run->mmio.phys_addr, run->mmio.data, len);
}

/* Handles one exit. Returns false when this vCPU must stop running. */
static bool handle_exit(struct vcpu *v)
{
    struct kvm_run *run = v->run;
    char why[96];

    switch (run->exit_reason) {
    case KVM_EXIT_IO:
        handle_io(v);
        return true;
    case KVM_EXIT_MMIO:
        handle_mmio(v);
        return true;
    case KVM_EXIT_INTR:
        return true;
    case KVM_EXIT_HLT:
        log_msg(LOG_DEBUG, "vcpu%u: halted with interrupts off", v->index);
        machine_stop(v->m, EXIT_OK);
        return false;
    case KVM_EXIT_SHUTDOWN:
        dump_state(v, "triple fault (KVM_EXIT_SHUTDOWN)");
        machine_stop(v->m, EXIT_TRIPLE_FAULT);
        return false;
    case KVM_EXIT_FAIL_ENTRY:
        snprintf(why, sizeof(why), "KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx",
                 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
        dump_state(v, why);
        machine_stop(v->m, EXIT_KVM_ERROR);
        return false;
    case KVM_EXIT_INTERNAL_ERROR:
        snprintf(why, sizeof(why), "KVM_EXIT_INTERNAL_ERROR, suberror %u",
                 run->internal.suberror);
        dump_state(v, why);
        machine_stop(v->m, EXIT_KVM_ERROR);
        return false;
    case KVM_EXIT_SYSTEM_EVENT:
        if (run->system_event.type == KVM_SYSTEM_EVENT_CRASH) {
            log_msg(LOG_ERROR, "guest kernel panic");
            machine_stop(v->m, EXIT_GUEST_PANIC);
        } else {
            machine_stop(v->m, EXIT_OK);
        }
        return false;
    default:
        snprintf(why, sizeof(why), "unexpected exit reason %u", run->exit_reason);
        dump_state(v, why);
        machine_stop(v->m, EXIT_KVM_ERROR);
        return false;
    }
}

/* PATCH /vm Paused: wait here until resumed or stopped. */
static void park(struct vcpu *v)
{
    struct machine *m = v->m;
    pthread_mutex_lock(&m->pause_lock);
    m->parked++;
    pthread_cond_broadcast(&m->pause_cond);
    while (atomic_load(&m->pause_req) && !machine_stopping(m))
        pthread_cond_wait(&m->pause_cond, &m->pause_lock);
    m->parked--;
    pthread_mutex_unlock(&m->pause_lock);
    v->run->immediate_exit = 0;
}

static void *vcpu_thread(void *arg)
{
    struct vcpu *v = arg;
    sigset_t kick;

    sigemptyset(&kick);
    sigaddset(&kick, SIG_VCPU_KICK);
    pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
    if (v->m->vcpu_thread_init)
        v->m->vcpu_thread_init();
    while (!machine_stopping(v->m)) {
        if (atomic_load(&v->m->pause_req)) {
            park(v);
            continue;
        }
        if (ioctl(v->fd, KVM_RUN, 0) < 0) {
            if (errno == EINTR || errno == EAGAIN) {
                vcpu_wake_take(v);  /* a kick from the MP wakeup mailbox, maybe */
                continue;
            }
            fprintf(stderr, "motevm: vcpu%u: KVM_RUN: %s\n", v->index, strerror(errno));
            metric_inc(M_vcpu__failures);
            machine_stop(v->m, EXIT_HOST_FAILURE);
            break;
        }
        vcpu_wake_ran(v);
        if (!handle_exit(v))
            break;
    }
    vcpu_wake_exit(v);
    return NULL;
}

int vcpu_start(struct vcpu *v)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, VCPU_STACK_SIZE);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int rc = pthread_create(&v->thread, &attr, vcpu_thread, v);
    pthread_attr_destroy(&attr);
    if (!rc) {
        char name[16];
        snprintf(name, sizeof(name), "fc_vcpu %u", v->index);
        pthread_setname_np(v->thread, name);
    }
    return -rc;
}

/* The boot sequence (DESIGN.md "Boot, in order"), from the entry code to the program. */
#include <errno.h>

#include "abi/ports.h"
#include "boot/bootinfo.h"
#include "core/cmdline.h"
#include "drivers/drivers.h"
#include "fs/initrd.h"
#include "fs/vfs.h"
#include "fs/ext4/vfs_glue.h"
#include "linux/process.h"
#include "mote/bootchart.h"
#include "mote/arch.h"
#include "mote/bootfs.h"
#include "mote/ktest.h"
#include "mote/platform.h"
#include "mote/sched.h"
#include "mote/exec.h"
#include "mote/layout.h"
#include "mote/mm.h"
#include "mote/net.h"
#include "mote/power.h"
#include "mote/printk.h"
#include "mote/string.h"
#include "mote/trap.h"
#include "mote/uspace.h"
#include "mote/x86.h"

#define EXIT_NOT_FOUND 127

void irq_enable_all(void);

static struct boot_info bi;
static struct cmdline cl;

static const char *const default_env[] = {"PATH=/bin:/usr/bin", "HOME=/", "TERM=linux"};

static void fpu_init(void)
{
    /* Default x87/SSE state for the program (FCW 0x37f, MXCSR 0x1f80), loaded with fxrstor:
     * PVM's CPL0 emulator runs fxrstor but not fninit/ldmxcsr. */
    static uint8_t image[512] __attribute__((aligned(16))) = {
        [0] = 0x7f, [1] = 0x03, [24] = 0x80, [25] = 0x1f,
    };
    __asm__ volatile("fxrstor64 %0" : : "m"(image));
}

static void setup_environment(const char **envp, int *envc)
{
    int n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(default_env); i++)
        envp[n++] = default_env[i];
    for (int i = 0; i < cl.nenv; i++)
        envp[n++] = cl.env[i];
    envp[n] = NULL;
    *envc = n;
}

/* The default program's arguments: the bootfs file /.args (make image APP_ARGS=...), split as
 * the command line is. */
static void default_args(void)
{
    static char buf[BOOT_CMDLINE_MAX];
    static struct cmdline extra;
    struct bootfs_file f;
    if (bootfs_lookup("/.args", &f) || f.size == 0 || f.size > sizeof(buf) - 4)
        return;
    memcpy(buf, "-- ", 3);
    memcpy(buf + 3, f.data, f.size);
    buf[3 + f.size] = '\0';
    cmdline_parse(&extra, buf);
    for (int i = 0; i < extra.argc && cl.argc < CMDLINE_MAX_ARGS; i++)
        cl.argv[cl.argc++] = extra.argv[i];
    cl.argv[cl.argc] = NULL;
}

__noreturn void kernel_main(int protocol, uint64_t info, uint64_t entry_tsc);
__noreturn void kernel_main(int protocol, uint64_t info, uint64_t entry_tsc)
{
    bootchart_init(entry_tsc);
    const char *why = "unknown boot protocol";
    int rc = -EINVAL;
    if (protocol == BOOT_LINUX64)
        rc = bootinfo_from_linux(&bi, info, phys_read_low, &why);
    else if (protocol == BOOT_PVH)
        rc = bootinfo_from_pvh(&bi, info, phys_read_low, &why);
    if (rc)
        panic("boot: %s", why);

    cmdline_parse(&cl, bi.cmdline);
    if (cl.loglevel >= 0)
        console_loglevel = cl.loglevel;
    syscall_trace = cl.strace;
    for (int i = 0; i < cl.nunknown; i++)
        pr_warn("mote: ignoring unknown option %s\n", cl.unknown[i]);
    if (cl.truncated)
        pr_warn("mote: command line has too many arguments; the rest is ignored\n");
    bootchart_stage("boot info copied");

    arch_cpu_init();
    arch_pic_mask();
    bootchart_stage("CPU tables loaded");

    page_init(&bi);
    paging_init(&bi);
    bootchart_stage("memory initialized");

    platform_init(&bi, cl.noacpi);
    sched_init();
    irq_enable_all();
    if (platform.ncpus > 1) {
        unsigned n = arch_start_aps();
        bootchart_stage("SMP launched");
        pr_info("smp: %u of %u CPUs online\n", n, platform.ncpus);
    }
    drivers_init(&cl);
    net_init(&cl);
    if (cl.test) {
        if (cl.bootchart)
            bootchart_print();
        ktest_set_args(cl.ntest_args, cl.test_args);
        power_off(ktest_run(cl.test));
    }

    int files = bootfs_init();
    if (files < 0)
        panic("bootfs: the image linked into the kernel is corrupt");
    if (vfs_init() || dev_init() || dev_add_disks() || initrd_add_bootfs() < 0)
        panic("ramfs: out of memory building the file tree");
    if (bi.initrd_size && initrd_unpack(bi.initrd_addr, bi.initrd_size) < 0)
        pr_err("mote: the initrd could not be unpacked (files from it may be missing)\n");
    ext4_vfs_mount_cmdline(&cl);
    net_write_resolv_conf();
    struct bootfs_file first;
    if (cl.argc == 0 && bootfs_first(&first) == 0) {
        cl.argv[cl.argc++] = first.name;
        default_args();
    }
    if (cl.argc == 0) {
        pr_err("mote: no program given on the command line and none in the bootfs\n");
        power_off(EXIT_NOT_FOUND);
    }
    bootchart_stage("files ready");

    const char *envp[CMDLINE_MAX_ENV + ARRAY_SIZE(default_env) + 1];
    int envc;
    setup_environment(envp, &envc);
    struct exec_result ex;
    if (process_init())
        panic("process: cannot set up the first process");
    if (exec_program(cl.argv[0], cl.argc, cl.argv, envc, envp, true, &ex))
        power_off(EXIT_NOT_FOUND);
    fpu_init();
    bootchart_stage("program loaded");
    bootchart_stage("Total time");

    outb(PORT_BOOT_TIMER, BOOT_TIMER_MAGIC);
    if (cl.bootchart)
        bootchart_print();
    pr_info("mote: %s boot, %lu KiB free, running %s\n",
            protocol == BOOT_PVH ? "PVH" : "Linux 64-bit", page_free_count() * 4, cl.argv[0]);
    arch_enter_user(ex.entry, ex.sp);
}

__noreturn void program_exited(int status)
{
    printk(LOG_WARN, "program exited with status %d\n", status);
    ext4_vfs_unmount_all();
    power_off(status);
}



__noreturn void program_killed(int sig, const struct trap_frame *f, uint64_t addr)
{
    pr_err("program killed: %s at %lx, address %lx\n", signal_name(sig), f->rip, addr);
    arch_dump_frame(f);
    process_exit(sig);
}

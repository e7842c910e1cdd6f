/* One description of the microVM, filled from Firecracker's JSON config file (--config-file)
 * and/or the short flags (--kernel, --mem, ...), then validated as a whole before any KVM call.
 * Errors are written to err as "<what>: <why>" (main prints "motevm: " in front). */
#ifndef VMM_CONFIG_H
#define VMM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_ERR_MAX 512
#define VCPUS_MAX 32
#define MEM_MIB_MAX (256u * 1024) /* 256 GiB: anything above is a typo, not a microVM */
#define DRIVES_MAX 16
#define NETS_MAX 8
#define IFNAME_MAX 15             /* IFNAMSIZ - 1 */

/* Firecracker's default guest command line (used for --config-file without boot_args). */
#define FC_DEFAULT_CMDLINE                                                                     \
    "reboot=k panic=1 nomodule 8250.nr_uarts=0 i8042.noaux i8042.nomux i8042.dumbkbd "           \
    "swiotlb=noforce"

enum boot_protocol { BOOT_LINUX64 = 0, BOOT_PVH };

struct drive_config {
    char *id;
    char *path;             /* path_on_host */
    bool root;              /* is_root_device */
    bool read_only;
    char *partuuid;         /* NULL when absent */
    char *cache_type;       /* "Unsafe" | "Writeback" */
    char *io_engine;        /* "Sync" | "Async" */
};

struct net_config {
    char *id;
    char *host_dev;
    bool has_mac;
    uint8_t mac[6];
};

/* Process options: how motevm itself runs, not what the guest sees. */
struct run_options {
    char *config_file;
    char *api_sock;
    bool no_api;
    bool boot_timer;
    int log_level;          /* enum log_level */
    char *log_path;
    char *id;
    char *metrics_path;
    bool no_seccomp;
    char *seccomp_filter;
};

struct vm_config {
    char *kernel_path;
    char *initrd_path;      /* NULL: no initrd */
    char *cmdline;          /* never NULL after config_init */
    unsigned vcpus;
    uint64_t mem_mib;
    bool smt;
    bool track_dirty_pages;
    bool huge_pages;        /* "2M" */
    enum boot_protocol boot;
    bool pit;
    bool no_acpi;           /* --no-acpi: MP table only (Firecracker has no such setting) */
    bool rng;               /* virtio-rng: "entropy" in the config file, or --rng */
    struct drive_config drives[DRIVES_MAX];
    unsigned ndrives;
    struct net_config nets[NETS_MAX];
    unsigned nnets;
    struct run_options opt;
};

/* Defaults: 1 vCPU, 128 MiB, empty command line, Linux 64-bit boot, level Info. */
void config_init(struct vm_config *c);
void config_free(struct vm_config *c);

/* Replaces *dst with a copy of src (or NULL). */
void config_set_str(char **dst, const char *src);

/* Fills c from a Firecracker config document (JSON text). Returns 0 or -EINVAL with err set. */
int config_parse_json(struct vm_config *c, const char *json, char *err, size_t errlen);

/* Reads and parses the file. */
int config_load_file(struct vm_config *c, const char *path, char *err, size_t errlen);

/* "aa:bb:cc:dd:ee:ff" (hex, either case). Returns 0 or -EINVAL. */
int config_parse_mac(const char *s, uint8_t mac[6]);

/* Whole-configuration checks that need no KVM: kernel given and readable, sizes, ids unique,
 * at most one root drive, drive and initrd files exist, command line fits. */
int config_validate(const struct vm_config *c, char *err, size_t errlen);

#endif

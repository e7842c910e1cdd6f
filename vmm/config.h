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
    bool show_level;        /* level in log lines (default true in motevm) */
    bool show_log_origin;   /* file:line in log lines */
    char *log_module;       /* logger.module: accepted, not used for filtering */
    char *seccomp_violate;  /* debug: "api", "vmm" or "vcpu" makes that thread break its filter */
    uint64_t api_max_payload;   /* --http-api-max-payload-size (0: Firecracker's 51200) */
    bool short_form;        /* --kernel was given: motevm's own form, no API unless --api-sock */
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
    bool rng;               /* virtio-rng: "entropy" (config file, PUT /entropy), or --rng */
    struct drive_config drives[DRIVES_MAX];
    unsigned ndrives;
    struct net_config nets[NETS_MAX];
    unsigned nnets;
    char *cpu_template;     /* NULL or "None": no template */
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

/* what path exists, is a regular file (or, when !want_regular, a block device) and readable.
 * Returns 0 or -errno with err = "<what> <path>: <why>". */
int config_check_file(const char *what, const char *path, bool want_regular, char *err,
                      size_t errlen);

/* The checks config_validate does on drives and interfaces, usable on their own. */
int config_check_drives(const struct vm_config *c, char *err, size_t errlen);
int config_check_nets(const struct vm_config *c, char *err, size_t errlen);

void config_drive_free(struct drive_config *d);
void config_net_free(struct net_config *n);

/* ---- Firecracker's sections (config_sections.c). The same functions apply a section of the
 * config file and the body of the matching API request. Each returns 0 or -EINVAL with err set,
 * and leaves c unchanged on error. ---- */

/* How a section is applied. CONFIG_FILE: as Firecracker's --config-file (drives and interfaces
 * append; files are checked later by config_validate). CONFIG_API: as the REST API's PUT (items
 * replace the one with the same id; files and uniqueness are checked now). */
enum config_mode { CONFIG_FILE, CONFIG_API };

struct cJSON;
int config_boot_source(struct vm_config *c, const struct cJSON *o, enum config_mode m,
                       char *err, size_t errlen);
/* patch: only the fields present change (PATCH /machine-config); else PUT semantics: required
 * fields required, absent optional fields back to their defaults. */
int config_machine(struct vm_config *c, const struct cJSON *o, bool patch, char *err,
                   size_t errlen);
/* where names the item in messages ("drives[0]"); path_id (API only) must equal drive_id. */
int config_drive(struct vm_config *c, const struct cJSON *o, enum config_mode m,
                 const char *where, const char *path_id, char *err, size_t errlen);
int config_net(struct vm_config *c, const struct cJSON *o, enum config_mode m,
               const char *where, const char *path_id, char *err, size_t errlen);
/* Post-boot PATCH bodies: checked against c; the caller decides what it can change. */
int config_drive_patch(const struct vm_config *c, const struct cJSON *o, const char *path_id,
                       char **new_path, char *err, size_t errlen);
int config_net_patch(const struct vm_config *c, const struct cJSON *o, const char *path_id,
                     char *err, size_t errlen);
int config_logger(struct vm_config *c, const struct cJSON *o, char *err, size_t errlen);
int config_metrics(struct vm_config *c, const struct cJSON *o, char *err, size_t errlen);
int config_entropy(struct vm_config *c, const struct cJSON *o, char *err, size_t errlen);
/* Validated only: motevm has no vsock device yet. */
int config_vsock(const struct cJSON *o, char *err, size_t errlen);

/* Firecracker's GET /machine-config and GET /vm/config documents. Caller frees (cJSON_Delete). */
struct cJSON *config_machine_json(const struct vm_config *c);
struct cJSON *config_full_json(const struct vm_config *c);

/* Whole-configuration checks that need no KVM: kernel given and readable, sizes, ids unique,
 * at most one root drive, drive and initrd files exist, command line fits. */
int config_validate(const struct vm_config *c, char *err, size_t errlen);

#endif

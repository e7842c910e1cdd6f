/* Command-line flags: Firecracker's process flags plus motevm's short form (--kernel ...).
 * Both "--flag value" and "--flag=value" work. A config file is read first and the short flags
 * then override it, whatever their order on the command line. */
#ifndef VMM_FLAGS_H
#define VMM_FLAGS_H

#include <stddef.h>

#include "vmm/config.h"

enum flags_action { FLAGS_RUN, FLAGS_HELP, FLAGS_VERSION };

#define MOTEVM_VERSION_LINE "motevm v0.1.0 (firecracker-compatible)"

/* Fills c (initialised by the caller with config_init). Returns 0 and sets *action, or -EINVAL
 * with err = "<flag>: <why>". */
int flags_parse(int argc, char **argv, struct vm_config *c, enum flags_action *action, char *err,
                size_t errlen);

/* The --help text. */
extern const char flags_usage[];

#endif

/* The VMM thread (motevm's main thread): it owns the configuration and the machine, serves the
 * API requests the server thread hands it, flushes metrics, and waits for the VM to stop. */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stdbool.h>
#include <time.h>

#include "vmm/config.h"

/* Runs motevm from a parsed configuration: starts the API server (unless --no-api), boots at
 * once when boot_now (--no-api, or a kernel given by the flags or --config-file; a failure then
 * ends motevm as before the API existed), and returns the exit status. start: CLOCK_MONOTONIC
 * and CLOCK_PROCESS_CPUTIME_ID taken first thing in main. Call before any other thread exists. */
int vmm_run(struct vm_config *cfg, const struct timespec start[2], bool boot_now);

#endif

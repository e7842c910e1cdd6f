/* <string.h> for lwIP's sources only (the kernel itself includes mote/string.h). */
#include "mote/string.h"

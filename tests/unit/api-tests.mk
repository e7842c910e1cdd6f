# Unit tests of motevm's API layer: the HTTP parser, the resource handlers, metrics lines.
UNIT_TESTS += vmm_api_http vmm_api_resources
UNIT_SRCS_vmm_api_http := tests/unit/vmm_api_http.c vmm/api/http.c
UNIT_SRCS_vmm_api_resources := tests/unit/vmm_api_resources.c vmm/api/resources.c vmm/api/http.c \
	vmm/config.c vmm/config_sections.c vmm/json.c vmm/log.c vmm/metrics.c
UNIT_LIBS_vmm_api_resources := -lcjson

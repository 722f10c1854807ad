// The module record, shared by the glue files.
#pragma once

#include "httpd.h"
#include "http_config.h"

extern "C" {
extern module AP_MODULE_DECLARE_DATA semguard_module;
}

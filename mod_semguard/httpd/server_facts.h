// Reads what the engine needs from httpd's parsed configuration: the instance's
// identity, the mutex configuration as httpd resolves it, configuration facts
// (Listen, SSLSessionCache, RewriteMap ...), User and Group.
#pragma once

#include <string>
#include <vector>

#include "httpd.h"
#include "run/lifecycle.h"

namespace semguard {
namespace glue {

InstanceIdentity instance_identity(apr_pool_t* p);
std::string default_runtime_dir(apr_pool_t* p);

// httpd's own view of every registered mutex type (ap_dump_mutexes), resolved.
MutexConfigResult mutex_configuration(apr_pool_t* p, server_rec* s);
ConfigFacts config_facts();
std::vector<std::string> alternative_mechanisms();

void httpd_user(uid_t& uid, gid_t& gid, bool& known);

}  // namespace glue
}  // namespace semguard

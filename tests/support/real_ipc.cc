#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "real_ipc.h"

#include <sched.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace semguard {

namespace {

ino_t private_namespace = 0;  // inode of the namespace we made; 0: none yet

SysError failure(int code, std::string call) {
    SysError error;
    error.code = code;
    error.call = std::move(call);
    return error;
}

// /proc/thread-self: namespaces belong to threads, and this is the calling one.
SysResult<ino_t> current_ipc_namespace() {
    struct stat st {};
    if (::stat("/proc/thread-self/ns/ipc", &st) < 0) {
        return sys_error_now("stat(/proc/thread-self/ns/ipc)");
    }
    return st.st_ino;
}

// Rows below the header line of a /proc/sysvipc file.
SysResult<std::vector<std::string>> sysvipc_rows(const char* path) {
    std::ifstream in(path);
    if (!in) return failure(ENOENT, std::string("open(") + path + ")");
    std::vector<std::string> rows;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        if (line.find_first_not_of(" \t") != std::string::npos) rows.push_back(line);
    }
    return rows;
}

SysStatus refuse_outside_private_namespace(const std::string& what) {
    if (in_private_ipc_namespace()) return {};
    return failure(EPERM, what + ": refused outside a private IPC namespace");
}

}  // namespace

SysStatus enter_private_ipc_namespace() {
    SysResult<ino_t> before = current_ipc_namespace();
    if (!before) return before.error();
    if (::unshare(CLONE_NEWIPC) < 0) return sys_error_now("unshare(CLONE_NEWIPC)");
    SysResult<ino_t> after = current_ipc_namespace();
    if (!after) return after.error();
    if (*after == *before) {
        return failure(EPERM,
                       "unshare(CLONE_NEWIPC): still in namespace " + std::to_string(*before));
    }
    for (const char* path : {"/proc/sysvipc/sem", "/proc/sysvipc/shm"}) {
        SysResult<std::vector<std::string>> rows = sysvipc_rows(path);
        if (!rows) return rows.error();
        if (!rows->empty()) {
            return failure(ENOTEMPTY, std::string(path) + " lists objects in a new namespace");
        }
    }
    private_namespace = *after;
    return {};
}

bool in_private_ipc_namespace() {
    SysResult<ino_t> now = current_ipc_namespace();
    return now && private_namespace != 0 && *now == private_namespace;
}

SysStatus write_sem_limits(long semmsl, long semmns, long semopm, long semmni) {
    const std::string path = "/proc/sys/kernel/sem";
    if (SysStatus ok = refuse_outside_private_namespace("write(" + path + ")"); !ok) return ok;
    std::FILE* file = std::fopen(path.c_str(), "w");
    if (file == nullptr) return sys_error_now("fopen(" + path + ")");
    const std::string text = std::to_string(semmsl) + " " + std::to_string(semmns) + " " +
                             std::to_string(semopm) + " " + std::to_string(semmni) + "\n";
    // The sysctl handler validates on write; the error surfaces at fflush/fclose.
    const bool written = std::fputs(text.c_str(), file) >= 0 && std::fflush(file) == 0;
    const int code = errno;
    std::fclose(file);
    if (!written) {
        return failure(code, "write(" + path + ", \"" + text.substr(0, text.size() - 1) + "\")");
    }
    return {};
}

SysResult<int> real_create_set(int32_t key, unsigned long nsems, unsigned mode) {
    const std::string call = "semget(" + std::to_string(key) + ", " + std::to_string(nsems) + ")";
    if (SysStatus ok = refuse_outside_private_namespace(call); !ok) return ok.error();
    const int semid = ::semget(static_cast<key_t>(key), static_cast<int>(nsems),
                               IPC_CREAT | IPC_EXCL | static_cast<int>(mode & 0777u));
    if (semid < 0) return sys_error_now(call);
    return semid;
}

SysStatus real_setval(int semid, unsigned long semnum, int value) {
    const std::string call = "semctl(SETVAL, " + std::to_string(semid) + ", " +
                             std::to_string(semnum) + ", " + std::to_string(value) + ")";
    if (SysStatus ok = refuse_outside_private_namespace(call); !ok) return ok;
    if (::semctl(semid, static_cast<int>(semnum), SETVAL, value) < 0) return sys_error_now(call);
    return {};
}

SysResult<int> real_waiters(int semid, unsigned long semnum, bool want_zero) {
    const int count = ::semctl(semid, static_cast<int>(semnum), want_zero ? GETZCNT : GETNCNT);
    if (count < 0) return sys_error_now(want_zero ? "semctl(GETZCNT)" : "semctl(GETNCNT)");
    return count;
}

SysResult<std::vector<SetInfo>> proc_sysvipc_sets() {
    SysResult<std::vector<std::string>> rows = sysvipc_rows("/proc/sysvipc/sem");
    if (!rows) return rows.error();
    std::vector<SetInfo> sets;
    for (const std::string& row : *rows) {
        // key semid perms nsems uid gid cuid cgid otime ctime; perms in octal.
        std::istringstream fields(row);
        long long key = 0, otime = 0, ctime = 0;
        std::string perms;
        SetInfo info;
        fields >> key >> info.semid >> perms >> info.nsems >> info.uid >> info.gid >> info.cuid >>
            info.cgid >> otime >> ctime;
        if (!fields) return failure(EPROTO, "parse(/proc/sysvipc/sem: " + row + ")");
        info.key = static_cast<int32_t>(key);
        info.mode = static_cast<unsigned>(std::stoul(perms, nullptr, 8)) & 0777u;
        info.otime = otime;
        info.ctime = ctime;
        sets.push_back(info);
    }
    return sets;
}

SysResult<std::string> command_output(const std::string& command) {
    std::FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return sys_error_now("popen(" + command + ")");
    std::string output;
    char chunk[512];
    size_t n;
    while ((n = std::fread(chunk, 1, sizeof chunk, pipe)) > 0) output.append(chunk, n);
    const int status = ::pclose(pipe);
    if (status != 0) return failure(ECHILD, command + ": exit status " + std::to_string(status));
    return output;
}

}  // namespace semguard

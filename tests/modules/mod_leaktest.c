/* mod_leaktest: a test module that leaks SysV semaphore sets the way some
 * third-party modules do (ModSecurity 2.x, mod_bmx, mod_pagespeed): it makes
 * its mutexes itself, outside httpd's Mutex table, and never removes them.
 *
 *   LeakTestSet NAME LIFETIME ORDER SHARE
 *     LIFETIME  generation: a new set at every configuration pass (module
 *                           statics reset at each reload), never removed;
 *               process:    one set per run, kept in the process pool, never removed.
 *     ORDER     middle | really_last: the post_config hook position.
 *     SHARE     children: handed to User (IPC_SET, mode 0600) like APR does;
 *               parent:   root's, mode 0600, never handed to the children.
 *
 *   LeakTestPause PATH
 *     After the REALLY_LAST hook made its sets, write "pid\nNAME SEMID\n..." to
 *     PATH (each set made so far, in this pass) and wait to be killed: a parent
 *     killed in the middle of a startup pass, for the tests.
 *
 * Made like APR's sysvsem: semget(IPC_PRIVATE, 1, 0600), SETVAL 1.
 * Handler "leaktest" locks and unlocks every set shared with children of the
 * current generation: a set removed from outside makes the request fail (500).
 * Built with apxs by the integration tests; not part of mod_semguard. */
#include <errno.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "ap_config.h"
#include "apr_strings.h"
#include "unixd.h"

#define MAX_SETS 16

typedef struct {
    const char* name;
    int process;     /* 1: once per run */
    int really_last; /* 1: REALLY_LAST hook */
    int children;    /* 1: handed to User */
    int semid;       /* this generation's set */
} leak_set;

static leak_set sets[MAX_SETS];
static int nsets;
static const char* pause_path;

module AP_MODULE_DECLARE_DATA leaktest_module;

static const char* set_leak(cmd_parms* cmd, void* dummy, int argc, char* const argv[]) {
    leak_set* s;
    (void)dummy;
    if (argc != 4) return "LeakTestSet NAME generation|process middle|really_last children|parent";
    if (nsets >= MAX_SETS) return "too many LeakTestSet lines";
    s = &sets[nsets];
    s->name = apr_pstrdup(cmd->pool, argv[0]);
    if (strcmp(argv[1], "process") == 0)
        s->process = 1;
    else if (strcmp(argv[1], "generation") == 0)
        s->process = 0;
    else
        return "LIFETIME must be generation or process";
    if (strcmp(argv[2], "really_last") == 0)
        s->really_last = 1;
    else if (strcmp(argv[2], "middle") == 0)
        s->really_last = 0;
    else
        return "ORDER must be middle or really_last";
    if (strcmp(argv[3], "children") == 0)
        s->children = 1;
    else if (strcmp(argv[3], "parent") == 0)
        s->children = 0;
    else
        return "SHARE must be children or parent";
    s->semid = -1;
    ++nsets;
    return NULL;
}

static const char* set_pause(cmd_parms* cmd, void* dummy, const char* path) {
    (void)dummy;
    pause_path = apr_pstrdup(cmd->pool, path);
    return NULL;
}

static void pause_here(apr_pool_t* p) {
    apr_file_t* f;
    int i, waited;
    const char* tmp = apr_pstrcat(p, pause_path, ".tmp", NULL);
    if (apr_file_open(&f, tmp, APR_FOPEN_WRITE | APR_FOPEN_CREATE | APR_FOPEN_TRUNCATE,
                      APR_OS_DEFAULT, p) != APR_SUCCESS)
        return;
    apr_file_printf(f, "%ld\n", (long)getpid());
    for (i = 0; i < nsets; ++i) apr_file_printf(f, "%s %d\n", sets[i].name, sets[i].semid);
    apr_file_close(f);
    apr_file_rename(tmp, pause_path, p);
    for (waited = 0; waited < 300; ++waited) apr_sleep(apr_time_from_sec(1));
}

static int make_set(server_rec* s, const leak_set* l) {
    union semun {
        int val;
        struct semid_ds* buf;
        unsigned short* array;
    } arg;
    struct semid_ds ds;
    int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    if (id < 0) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, errno, s, "leaktest: semget for %s failed", l->name);
        return -1;
    }
    arg.val = 1;
    semctl(id, 0, SETVAL, arg);
    if (l->children && geteuid() == 0) {
        memset(&ds, 0, sizeof ds);
        ds.sem_perm.uid = ap_unixd_config.user_id;
        ds.sem_perm.gid = ap_unixd_config.group_id;
        ds.sem_perm.mode = 0600;
        arg.buf = &ds;
        semctl(id, 0, IPC_SET, arg);
    }
    return id;
}

static void create_sets(apr_pool_t* pconf, server_rec* s, int really_last) {
    int i;
    (void)pconf;
    for (i = 0; i < nsets; ++i) {
        leak_set* l = &sets[i];
        if (l->really_last != really_last) continue;
        if (l->process) {
            /* Survives the module's reload: the process pool outlives pconf. */
            void* data = NULL;
            const char* key = apr_pstrcat(s->process->pool, "leaktest:", l->name, NULL);
            apr_pool_userdata_get(&data, key, s->process->pool);
            if (data) {
                l->semid = *(int*)data;
                continue;
            }
            l->semid = make_set(s, l);
            {
                int* keep = apr_palloc(s->process->pool, sizeof *keep);
                *keep = l->semid;
                apr_pool_userdata_set(keep, key, apr_pool_cleanup_null, s->process->pool);
            }
        } else {
            l->semid = make_set(s, l);
        }
    }
}

static int post_config_middle(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp,
                              server_rec* s) {
    (void)plog;
    (void)ptemp;
    create_sets(pconf, s, 0);
    return OK;
}

static int post_config_really_last(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp,
                                   server_rec* s) {
    (void)plog;
    (void)ptemp;
    create_sets(pconf, s, 1);
    if (pause_path) pause_here(ptemp);
    return OK;
}

static int lock_unlock(int id) {
    struct sembuf op;
    op.sem_num = 0;
    op.sem_op = -1;
    op.sem_flg = SEM_UNDO;
    if (semop(id, &op, 1) != 0) return errno;
    op.sem_op = 1;
    if (semop(id, &op, 1) != 0) return errno;
    return 0;
}

static int handler(request_rec* r) {
    int i, failed = 0;
    char* body = "";
    if (!r->handler || strcmp(r->handler, "leaktest") != 0) return DECLINED;
    for (i = 0; i < nsets; ++i) {
        int e;
        if (!sets[i].children || sets[i].semid < 0) continue;
        e = lock_unlock(sets[i].semid);
        if (e) {
            ++failed;
            body = apr_psprintf(r->pool, "%s%s (semid %d): %s\n", body, sets[i].name, sets[i].semid,
                                strerror(e));
        }
    }
    ap_set_content_type(r, "text/plain");
    if (failed) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "leaktest: cannot lock: %s", body);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_rputs("locked\n", r);
    return OK;
}

/* The configuration is read again at every pass: start from nothing. */
static int pre_config(apr_pool_t* pconf, apr_pool_t* plog, apr_pool_t* ptemp) {
    (void)pconf;
    (void)plog;
    (void)ptemp;
    nsets = 0;
    pause_path = NULL;
    return OK;
}

static void register_hooks(apr_pool_t* p) {
    (void)p;
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(post_config_middle, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config_really_last, NULL, NULL, APR_HOOK_REALLY_LAST);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
}

static const command_rec cmds[] = {
    AP_INIT_TAKE_ARGV("LeakTestSet", set_leak, NULL, RSRC_CONF,
                      "NAME generation|process middle|really_last children|parent"),
    AP_INIT_TAKE1("LeakTestPause", set_pause, NULL, RSRC_CONF,
                  "PATH: write the sets made so far there, then wait to be killed"),
    {NULL}};

module AP_MODULE_DECLARE_DATA leaktest_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, cmds, register_hooks};

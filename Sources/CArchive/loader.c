#define _GNU_SOURCE
#include "carchive.h"
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static void *library;
static char load_error[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    library = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!library)
        snprintf(load_error, sizeof load_error,
                 "cannot load libarchive.so.13 (%s); install Debian's libarchive13", dlerror());
}

const char *carchive_load_error(void) {
    pthread_once(&once, load);
    return library ? NULL : load_error;
}

static void *symbol(const char *name) {
    const char *e = carchive_load_error();
    void *p = e ? NULL : dlsym(library, name);
    if (!p) {
        fprintf(stderr, "swiftbox: %s\n", e ? e : "libarchive.so.13 lacks a function swiftbox needs");
        abort();
    }
    return p;
}

// One forwarder per function; the prototype in archive.h checks each signature.
#define FORWARD(ret, name, params, args)                 \
    ret name params {                                    \
        static ret (*fn) params;                         \
        if (!fn) fn = (ret (*) params)symbol(#name);     \
        return fn args;                                  \
    }

struct archive *archive_read_new(void) {
    static struct archive *(*fn)(void);
    if (carchive_load_error()) return NULL; // callers report a NULL archive
    if (!fn) fn = (struct archive * (*)(void)) symbol("archive_read_new");
    return fn();
}

FORWARD(int, archive_read_free, (struct archive *a), (a))
FORWARD(int, archive_read_support_filter_bzip2, (struct archive *a), (a))
FORWARD(int, archive_read_support_filter_gzip, (struct archive *a), (a))
FORWARD(int, archive_read_support_filter_xz, (struct archive *a), (a))
FORWARD(int, archive_read_support_filter_zstd, (struct archive *a), (a))
FORWARD(int, archive_read_support_format_raw, (struct archive *a), (a))
FORWARD(int, archive_read_support_format_tar, (struct archive *a), (a))
FORWARD(int, archive_read_open,
        (struct archive *a, void *d, archive_open_callback *o, archive_read_callback *r, archive_close_callback *c),
        (a, d, o, r, c))
FORWARD(int, archive_read_open_filename, (struct archive *a, const char *f, size_t b), (a, f, b))
FORWARD(int, archive_read_next_header, (struct archive *a, struct archive_entry **e), (a, e))
FORWARD(la_ssize_t, archive_read_data, (struct archive *a, void *b, size_t n), (a, b, n))
FORWARD(int, archive_read_data_block, (struct archive *a, const void **b, size_t *n, la_int64_t *o), (a, b, n, o))
FORWARD(int, archive_read_data_skip, (struct archive *a), (a))
FORWARD(const char *, archive_error_string, (struct archive *a), (a))
FORWARD(int, archive_filter_code, (struct archive *a, int n), (a, n))
FORWARD(time_t, archive_entry_atime, (struct archive_entry *e), (e))
FORWARD(int, archive_entry_atime_is_set, (struct archive_entry *e), (e))
FORWARD(long, archive_entry_atime_nsec, (struct archive_entry *e), (e))
FORWARD(__LA_MODE_T, archive_entry_filetype, (struct archive_entry *e), (e))
FORWARD(la_int64_t, archive_entry_gid, (struct archive_entry *e), (e))
FORWARD(const char *, archive_entry_hardlink, (struct archive_entry *e), (e))
FORWARD(time_t, archive_entry_mtime, (struct archive_entry *e), (e))
FORWARD(long, archive_entry_mtime_nsec, (struct archive_entry *e), (e))
FORWARD(const char *, archive_entry_pathname, (struct archive_entry *e), (e))
FORWARD(__LA_MODE_T, archive_entry_perm, (struct archive_entry *e), (e))
FORWARD(dev_t, archive_entry_rdevmajor, (struct archive_entry *e), (e))
FORWARD(dev_t, archive_entry_rdevminor, (struct archive_entry *e), (e))
FORWARD(la_int64_t, archive_entry_size, (struct archive_entry *e), (e))
FORWARD(const char *, archive_entry_symlink, (struct archive_entry *e), (e))
FORWARD(la_int64_t, archive_entry_uid, (struct archive_entry *e), (e))
FORWARD(int, archive_entry_xattr_next, (struct archive_entry *e, const char **n, const void **v, size_t *s), (e, n, v, s))
FORWARD(int, archive_entry_xattr_reset, (struct archive_entry *e), (e))

/* LD_PRELOAD for the lock tests: makes a Cyrus tool hold its locks longer. Cyrus opens
 * cyrus.cache while it holds the mailbox's locks, so opening a path that contains
 * $CYRUS_FSCK_SLOW_OPEN sleeps $CYRUS_FSCK_SLOW_MS first. Unset = no delay. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void maybe_pause(const char *path) {
  const char *what = getenv("CYRUS_FSCK_SLOW_OPEN");
  const char *ms = getenv("CYRUS_FSCK_SLOW_MS");
  if (what && ms && path && strstr(path, what)) usleep((useconds_t)atoi(ms) * 1000);
}

#define WRAP_OPEN(name)                                                      \
  int name(const char *path, int flags, ...) {                              \
    static int (*real)(const char *, int, ...);                             \
    if (!real) real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name); \
    mode_t mode = 0;                                                         \
    if (flags & (O_CREAT | O_TMPFILE)) {                                     \
      va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); \
    }                                                                        \
    maybe_pause(path);                                                       \
    return real(path, flags, mode);                                          \
  }
WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPENAT(name)                                                    \
  int name(int dir, const char *path, int flags, ...) {                     \
    static int (*real)(int, const char *, int, ...);                        \
    if (!real) real = (int (*)(int, const char *, int, ...))dlsym(RTLD_NEXT, #name); \
    mode_t mode = 0;                                                         \
    if (flags & (O_CREAT | O_TMPFILE)) {                                     \
      va_list ap; va_start(ap, flags); mode = va_arg(ap, mode_t); va_end(ap); \
    }                                                                        \
    maybe_pause(path);                                                       \
    return real(dir, path, flags, mode);                                     \
  }
WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

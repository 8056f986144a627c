/* LD_PRELOAD shim for test instances of Cyrus.
 *
 * 1. Cyrus logs through syslog(3), and the test machines run no syslog daemon.
 * Every syslog call is appended as one line to the file named by $CYRUS_FSCK_SYSLOG:
 *   <unix time> <ident>[<pid>]: <level>: <message>
 * One write(2) per line on an O_APPEND descriptor, so lines from concurrent processes never
 * interleave. glibc's fortified builds (Debian's Cyrus) call __syslog_chk/__vsyslog_chk, so
 * those are covered too. %m works because glibc's vsnprintf expands it from errno. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

/* 2. With $CYRUS_FSCK_NOFSYNC set, fsync/fdatasync return at once (like libeatmydata): Cyrus
 * syncs on every append and flag change, which makes populating an instance several times
 * slower on a busy machine. Data still reaches the page cache, which every process shares, so
 * nothing a test can observe changes; only durability across a power cut is given up. */
static int nofsync(void) {
  static int cached = -1;
  if (cached < 0) cached = getenv("CYRUS_FSCK_NOFSYNC") != NULL;
  return cached;
}

int fsync(int fd) {
  if (nofsync()) return 0;
  return (int)syscall(SYS_fsync, fd);
}

int fdatasync(int fd) {
  if (nofsync()) return 0;
  return (int)syscall(SYS_fdatasync, fd);
}

/* 3. With $CYRUS_FSCK_PDEATHSIG set, every Cyrus process asks the kernel for SIGTERM when its
 * parent dies: master when the test process dies (even by SIGKILL, where no cleanup code runs),
 * master's children when master dies. The kernel forgets the request when a process changes
 * uid, and master drops from root to cyrus, so it is asked again after each set*uid call. */
static void arm_pdeathsig(void) {
  if (!getenv("CYRUS_FSCK_PDEATHSIG")) return;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() == 1) raise(SIGTERM); /* the parent is already gone */
}

__attribute__((constructor)) static void shim_init(void) { arm_pdeathsig(); }

/* The real set*uid (glibc's, which changes every thread's credentials), then re-arm. */
#define REARM_AFTER(name, type, ...)                                        \
  do {                                                                      \
    static type real_fn;                                                    \
    if (!real_fn) real_fn = (type)dlsym(RTLD_NEXT, name);                   \
    int rc = real_fn(__VA_ARGS__);                                          \
    arm_pdeathsig();                                                        \
    return rc;                                                              \
  } while (0)

typedef int (*setuid_fn)(uid_t);
typedef int (*setreuid_fn)(uid_t, uid_t);
typedef int (*setresuid_fn)(uid_t, uid_t, uid_t);
int setuid(uid_t u) { REARM_AFTER("setuid", setuid_fn, u); }
int setreuid(uid_t ru, uid_t eu) { REARM_AFTER("setreuid", setreuid_fn, ru, eu); }
int setresuid(uid_t ru, uid_t eu, uid_t su) { REARM_AFTER("setresuid", setresuid_fn, ru, eu, su); }

static char shim_ident[64] = "";

void openlog(const char *ident, int option, int facility) {
  (void)option; (void)facility;
  if (ident) { strncpy(shim_ident, ident, sizeof shim_ident - 1); shim_ident[sizeof shim_ident - 1] = 0; }
}

void closelog(void) {}

int setlogmask(int mask) { (void)mask; return 0xff; }

static const char *level_name(int pri) {
  static const char *names[] = {"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"};
  return names[LOG_PRI(pri)];
}

void vsyslog(int pri, const char *fmt, va_list ap) {
  int saved_errno = errno;
  const char *path = getenv("CYRUS_FSCK_SYSLOG");
  if (!path || !*path) return;
  char msg[8192];
  vsnprintf(msg, sizeof msg, fmt, ap);
  char line[8400];
  int n = snprintf(line, sizeof line, "%ld %s[%d]: %s: %s\n", (long)time(NULL),
                   shim_ident[0] ? shim_ident : "?", (int)getpid(), level_name(pri), msg);
  if (n < 0) { errno = saved_errno; return; }
  if ((size_t)n >= sizeof line) { n = (int)sizeof line - 1; line[n - 1] = '\n'; }
  int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
  if (fd >= 0) {
    ssize_t w = write(fd, line, (size_t)n);
    (void)w;
    close(fd);
  }
  errno = saved_errno;
}

void syslog(int pri, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsyslog(pri, fmt, ap);
  va_end(ap);
}

void __vsyslog_chk(int pri, int flag, const char *fmt, va_list ap) {
  (void)flag;
  vsyslog(pri, fmt, ap);
}

void __syslog_chk(int pri, int flag, const char *fmt, ...) {
  (void)flag;
  va_list ap;
  va_start(ap, fmt);
  vsyslog(pri, fmt, ap);
  va_end(ap);
}

// The child side of `batchkit_spawn`, between `vfork` and `exec`. It runs on
// the caller's memory while the caller is suspended, so it only makes system
// calls: no allocation, no locks, nothing that touches shared state.
#if defined(__linux__)
#define _GNU_SOURCE 1
#endif
#include "CBatchKitSpawn.h"

#include <errno.h>

#if defined(__linux__)
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/// Opens `path` as descriptor `target` (without close-on-exec).
static int open_as(const char *path, int flags, int target) {
    int descriptor = open(path, flags, 0644);
    if (descriptor < 0) return errno;
    if (descriptor != target) {
        if (dup2(descriptor, target) < 0) return errno;
        close(descriptor);
    }
    return 0;
}

/// Closes every descriptor from 3 up, as `posix_spawn_file_actions_addclosefrom_np` does.
static void close_from_three(void) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
    struct rlimit limit;
    long highest = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? (long)limit.rlim_cur : 65536;
    for (long descriptor = 3; descriptor < highest; descriptor++) close((int)descriptor);
}

/// Sets `RLIMIT_DATA` (soft and hard), never above the hard limit in place.
static void limit_data(int64_t bytes) {
    struct rlimit current;
    if (getrlimit(RLIMIT_DATA, &current) != 0) return;
    rlim_t value = (rlim_t)bytes;
    if (current.rlim_max != RLIM_INFINITY && current.rlim_max < value) value = current.rlim_max;
    struct rlimit limit = { value, value };
    // As `ulimit -d` in a shell step did: if the kernel refuses, the step runs anyway.
    (void)setrlimit(RLIMIT_DATA, &limit);
}

int batchkit_spawn(const batchkit_spawn_request *request, pid_t *pid) {
    // No signal handler of the caller may run in the child while it borrows
    // the caller's memory: block them all until the child has reset them.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    volatile int failure = 0;

    pid_t child = vfork();
    if (child == 0) {
        int code = 0;
        struct sigaction defaults;
        defaults.sa_handler = SIG_DFL;
        defaults.sa_flags = 0;
        sigemptyset(&defaults.sa_mask);
        for (int number = 1; number < NSIG; number++) {
            if (number != SIGKILL && number != SIGSTOP) (void)sigaction(number, &defaults, 0);
        }
        if (setpgid(0, 0) != 0) { code = errno; goto fail; }
        if (request->parent_death_signal != 0) {
            if (prctl(PR_SET_PDEATHSIG, (unsigned long)request->parent_death_signal, 0UL, 0UL, 0UL) != 0) { code = errno; goto fail; }
            // The parent died before the signal was set: nobody waits for this child.
            if (getppid() != request->expected_parent) _exit(127);
        }
        if (request->data_limit >= 0) limit_data(request->data_limit);
        if ((code = open_as(request->standard_input, O_RDONLY, 0)) != 0) goto fail;
        if ((code = open_as(request->output, O_WRONLY | O_CREAT | O_APPEND, 1)) != 0) goto fail;
        if (request->error != 0) {
            if ((code = open_as(request->error, O_WRONLY | O_CREAT | O_APPEND, 2)) != 0) goto fail;
        } else if (dup2(1, 2) < 0) {
            code = errno;
            goto fail;
        }
        if (request->directory != 0 && chdir(request->directory) != 0) { code = errno; goto fail; }
        close_from_three();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, 0);
        execve(request->path, request->argv, request->envp);
        code = errno;
        if (request->fallback_path != 0) {
            execve(request->fallback_path, request->fallback_argv, request->envp);
            code = errno;
        }
    fail:
        failure = code == 0 ? ENOEXEC : code;
        _exit(127);
    }

    int result = 0;
    if (child < 0) {
        result = errno;
    } else if (failure != 0) {
        // The child told why it did not exec (it wrote into this frame, which
        // it shared until it exited); reap it.
        result = failure;
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
    } else {
        *pid = child;
    }
    pthread_sigmask(SIG_SETMASK, &previous, 0);
    return result;
}

pid_t batchkit_thread_id(void) {
    return (pid_t)syscall(SYS_gettid);
}

#else

#include <unistd.h>

pid_t batchkit_thread_id(void) {
    return getpid();
}

int batchkit_spawn(const batchkit_spawn_request *request, pid_t *pid) {
    (void)request;
    (void)pid;
    return ENOSYS;
}

#endif

// Starting a step's process in one step: what `posix_spawn` does (own
// process group, default signal dispositions, an empty signal mask, standard
// input and output redirected, no inherited descriptors, a working
// directory), plus what it cannot: the parent-death signal and a memory
// limit, set in the child before `exec`. This saves the extra `exec` of a
// wrapper (`setpriv --pdeathsig`, `sh -c 'ulimit -d …; exec …'`) per step.
#ifndef CBATCHKITSPAWN_H
#define CBATCHKITSPAWN_H

#include <stdint.h>
#include <sys/types.h>

/// What `batchkit_spawn` starts. The caller owns every pointer.
typedef struct batchkit_spawn_request {
    /// The program to exec (a path: no `PATH` search).
    const char *path;
    /// Its arguments and environment, each ending in NULL.
    char *const *argv;
    char *const *envp;
    /// Exec'd instead when `path` cannot be (a script without `#!`, a file
    /// gone since it was found); NULL for none.
    const char *fallback_path;
    char *const *fallback_argv;
    /// Opened read-only as standard input.
    const char *standard_input;
    /// Opened (created, appended to) as standard output.
    const char *output;
    /// Opened (created, appended to) as standard error; NULL: the output.
    const char *error;
    /// The child's working directory; NULL: the caller's.
    const char *directory;
    /// The signal Linux sends the child when the spawning *thread* exits
    /// (`PR_SET_PDEATHSIG`); 0 for none. Ignored elsewhere.
    int parent_death_signal;
    /// With a parent-death signal: the child exits at once unless its parent
    /// is still this process (it may have died before the signal was set).
    pid_t expected_parent;
    /// `RLIMIT_DATA` in bytes, soft and hard, never above a hard limit in
    /// place; negative for none. Ignored elsewhere than Linux.
    int64_t data_limit;
} batchkit_spawn_request;

/// Starts `request` in a child of the calling thread, in a process group of
/// its own, with `vfork` (the child borrows the caller's memory until it
/// execs, so it costs the same whatever the caller's size).
///
/// - Returns: 0 and the child's pid in `*pid`, or the `errno` of what
///   failed (opening a file, changing directory, exec'ing both programs);
///   the failed child is reaped. `ENOSYS` on a system other than Linux.
int batchkit_spawn(const batchkit_spawn_request *request, pid_t *pid);

/// The calling thread's id (Linux's `gettid`), which names its
/// `/proc/self/task/<tid>/`; the process id elsewhere.
pid_t batchkit_thread_id(void);

#endif

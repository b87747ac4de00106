import BatchKitCommandLine
import Foundation
import {{MODULE}}

// `./run.sh` executes this binary. BatchKit parses the command line, runs the
// job's steps (each in a child process of this same binary) and exits with
// 0 (all passed), 1 (a step or post-job test failed) or 64 (usage error).
exit(await JobCommand.main(job))

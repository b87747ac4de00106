@testable import BatchKit
@testable import BatchKitRunner
import Foundation
import TestSupport
import Testing

@Suite struct TaskListTests {
    let file = URL(fileURLWithPath: "/jobs/nightly/tasks.lst")
    let environment = ["APP_LOG_DIR": "/jobs/nightly/logs", "HOME": "/root"]

    func parse(_ text: String) throws(TaskList.ParseError) -> TaskList {
        try TaskList(text: text, file: file, environment: environment)
    }

    @Test func theSeedsExampleParsesInAnyOrder() throws {
        let list = try parse("""
            #SHELL
            #ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME          |SHELL_COMMAND|LOGFILE
            6  |4,5       |1           |0              |End Job Notification  |echo end     |$ENV{APP_LOG_DIR}/end.log
            1  |-1        |1           |0              |Start Job Notification|echo start   |
            2  |1         |3           |1.5m           |Download File 1       |curl -fsS x \\| gzip -d > a.csv|
            3  |1         |1           |0              |Download File 2       |echo 2       |rel/d2.log|30
            4  |2         |1           |0              |Load MySQL Table      |echo 4       |
            5  |3         |1           |0              |Write Parquet File    |echo 5       |

            """)
        #expect(list.job.name == "tasks")
        let steps = Dictionary(uniqueKeysWithValues: list.job.steps.map { ($0.id, $0) })
        #expect(steps[6]?.parents == [4, 5])
        #expect(steps[1]?.parents == [])
        #expect(steps[2]?.policy == StepPolicy(maxAttempts: 3, retryWait: 90))
        #expect(steps[3]?.policy.timeout == 30)
        #expect(steps[6]?.mirrorLog?.path == "/jobs/nightly/logs/end.log")
        #expect(steps[3]?.mirrorLog?.path == "/jobs/nightly/rel/d2.log")
        #expect(steps[1]?.mirrorLog == nil)
        #expect(steps[6]?.source == "tasks.lst:3")
        if case .shell(let command) = steps[2]?.action {
            #expect(command == "curl -fsS x | gzip -d > a.csv")
        } else {
            Issue.record("expected a shell step")
        }
        let graph = try JobGraph(job: list.job)
        #expect(graph.waves() == [[1], [2, 3], [4, 5], [6]])
    }

    @Test(arguments: [
        ("1|-1|1|0|a|true", "tasks.lst:2: expected 7 to 11 fields (ID|PARENT_IDS|MAX_ATTEMPTS|RETRY_WAIT_TIME|PROCESS_NAME|SHELL_COMMAND|LOGFILE[|TIMEOUT[|MEMORY[|READS[|WRITES]]]])"),
        ("1|-1|1|0|a|true|x|y|z|w|v|u", "found 12; a | inside SHELL_COMMAND must be quoted ('a | b') or written \\|"),
        ("x|-1|1|0|a|true|", "tasks.lst:2: ID \"x\" is not a whole number above 0"),
        ("0|-1|1|0|a|true|", "ID \"0\" is not a whole number above 0"),
        ("1|1,,2|1|0|a|true|", "PARENT_IDS \"1,,2\" must be -1"),
        ("1||1|0|a|true|", "PARENT_IDS \"\" must be -1"),
        ("1|-1|many|0|a|true|", "MAX_ATTEMPTS \"many\" is not a whole number"),
        ("1|-1|0|0|a|true|", "MAX_ATTEMPTS is 0; it must be at least 1"),
        ("1|-1|1|soon|a|true|", "RETRY_WAIT_TIME \"soon\" is not a duration"),
        ("1|-1|1|-5|a|true|", "RETRY_WAIT_TIME is -5; it must not be negative"),
        ("1|-1|1|0||true|", "PROCESS_NAME is empty"),
        ("1|-1|1|0|a||", "SHELL_COMMAND is empty"),
        ("1|-1|1|0|a|true||0", "TIMEOUT \"0\" is not a duration above 0"),
        ("1|-1|1|0|a|true||fast", "TIMEOUT \"fast\" is not a duration above 0"),
        ("1|-1|1|0|a|true||inf", "TIMEOUT \"inf\" is not a duration above 0"),
        ("1|-1|1|1e300|a|true|", "RETRY_WAIT_TIME \"1e300\" is not a duration"),
        ("1|-1|1|99999999999999999h|a|true|", "is not a duration"),
        ("1|-1|1|0|a|true|||lots", "MEMORY \"lots\" is not a memory size between 1 MB and 1 PB (such as 512MB or 2GiB)"),
        ("1|-1|1|0|a|true|||-5MB", "MEMORY \"-5MB\" is not a memory size"),
        ("1|-1|1|0|a|true|||0", "MEMORY \"0\" is not a memory size"),
        ("1|-1|1|0|a|true|||512", "MEMORY \"512\" is not a memory size between 1 MB"),
        ("1|-1|1|0|a|true|||2PB", "MEMORY \"2PB\" is not a memory size"),
        ("1|-1|1|0|a|true||x|512MB", "TIMEOUT \"x\" is not a duration above 0"),
        ("1|-1|1|0|a|echo $ENV{NOPE}|", "$ENV{NOPE} is not set; export NOPE"),
        ("1|-1|1|0|a|echo $ENV{HOME|", "\"$ENV{\" is not closed"),
    ])
    func everyMalformedLineIsReportedWithFileAndLine(line: String, message: String) {
        do {
            _ = try parse("#SHELL\n\(line)\n")
            Issue.record("accepted: \(line)")
        } catch {
            #expect(error.problems.count == 1)
            #expect(error.problems.first?.hasPrefix("tasks.lst:2: ") == true)
            #expect(error.problems.first?.contains(message) == true, "\(error.problems)")
        }
    }

    @Test(arguments: [
        ("1|-1|1|0|a|true || { echo no; exit 1; }|", "TIMEOUT \"{ echo no; exit 1; }\" is not a duration above 0", "\"true\""),
        ("1|-1|1|0|a|sort in.txt | uniq -c | head|", "TIMEOUT \"head\" is not a duration above 0", "\"sort in.txt\""),
        ("1|-1|1|0|a|cat f | grep x | wc -l", "TIMEOUT \"wc -l\" is not a duration above 0", "\"cat f\""),
        ("1|-1|1|0|a|./load.sh||10m|tee load.out", "MEMORY \"tee load.out\" is not a memory size", "\"./load.sh\""),
    ])
    func aBarInsideTheCommandIsNamedAsTheLikelyCause(line: String, message: String, command: String) {
        do {
            _ = try parse("#SHELL\n\(line)\n")
            Issue.record("accepted: \(line)")
        } catch {
            let problem = error.problems.first ?? ""
            #expect(problem.hasPrefix("tasks.lst:2: \(message)"), "\(problem)")
            #expect(problem.contains("SHELL_COMMAND reads \(command): if the command has a | or || in it, the line was cut there"), "\(problem)")
            #expect(problem.contains("Write each | of the command as \\|, or put the pipeline in a script"), "\(problem)")
        }
    }

    @Test(arguments: ["1|-1|1|0|a|true||0", "1|-1|1|0|a|true||5x", "1|-1|1|0|a|true|||512"])
    func aNumberThatIsWrongGetsNoPipeHint(line: String) {
        #expect(throws: TaskList.ParseError.self) { try parse("#SHELL\n\(line)\n") }
        do { _ = try parse("#SHELL\n\(line)\n") } catch {
            #expect(error.problems.first?.contains("SHELL_COMMAND reads") == false, "\(error.problems)")
        }
    }

    @Test func theNinthColumnIsAMemoryCap() throws {
        let list = try parse("""
            #SHELL
            1|-1|1|0|a|true|
            2|-1|1|0|b|true||
            3|-1|1|0|c|true|||
            4|-1|2|0|d|true||10m|512MB
            5|-1|1|0|e|true||| 2GiB
            6|-1|1|0|f|true|||1.5GB

            """)
        let memory = Dictionary(uniqueKeysWithValues: list.job.steps.map { ($0.id, $0.policy.memory) })
        #expect(memory[1] == .some(nil) && memory[2] == .some(nil) && memory[3] == .some(nil), "absent or empty: no cap")
        #expect(memory[4] == .megabytes(512))
        #expect(memory[5] == .gibibytes(2))
        #expect(memory[6] == .megabytes(1500))
        #expect(list.job.steps.first { $0.id == 4 }?.policy == StepPolicy(maxAttempts: 2, timeout: 600, memory: .megabytes(512)))
    }

    @Test func allMalformedLinesAreReportedTogether() {
        do {
            _ = try parse("#SHELL\nx|-1|1|0|a|true|\n# fine\n2|-1|0|0|b|true|\n")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.map { $0.prefix(12) } == ["tasks.lst:2:", "tasks.lst:4:"])
            #expect(error.description.hasPrefix("invalid task list (2 problems):"))
        }
    }

    @Test(arguments: [
        ("", "tasks.lst:1: the file is empty"),
        ("\n\n", "the file is empty"),
        ("#PERL\n1|-1|1|0|a|workers|Start|\n", "tasks.lst:1: the first line must be #SHELL or #PYTHON"),
        ("1|-1|1|0|a|true|\n", "tasks.lst:1: the first line must be #SHELL or #PYTHON"),
        ("#SHELL\n# only a comment\n", "there are no tasks"),
    ])
    func headerProblemsAreExplained(text: String, message: String) {
        do {
            _ = try parse(text)
            Issue.record("accepted")
        } catch {
            #expect(error.problems.first?.contains(message) == true, "\(error.problems)")
        }
    }

    @Test func graphProblemsNameTheLines() throws {
        let list = try parse("#SHELL\n1|-1|1|0|a|true|\n1|-1|1|0|again|true|\n2|9|1|0|orphan|true|\n3|4|1|0|x|true|\n4|3|1|0|y|true|\n")
        do {
            _ = try JobGraph(job: list.job)
            Issue.record("accepted")
        } catch {
            let text = error.description
            #expect(text.contains("\"a\" (tasks.lst:2) and \"again\" (tasks.lst:3) both have id 1"))
            #expect(text.contains("step 02 \"orphan\" (tasks.lst:4) depends on step 9, which does not exist"))
            #expect(text.contains("cycle: 3 \"x\" → 4 \"y\" → 3 \"x\"") || text.contains("cycle: 4 \"y\" → 3 \"x\" → 4 \"y\""))
        }
    }

    @Test func fieldsSplitOnUnescapedBarsOnly() {
        #expect(TaskList.split(" a | b\\|c | \\d ") == ["a", "b|c", "\\d"])
        #expect(TaskList.seconds("90") == 90)
        #expect(TaskList.seconds("1.5m") == 90)
        #expect(TaskList.seconds("2h") == 7200)
        #expect(TaskList.seconds("x") == nil)
    }

    /// A NUL would cut the command (`echo x\0y` ran `echo x`) or a name in
    /// every C string it passes through: refused, naming the line and field.
    @Test(arguments: [
        ("1|-1|1|0|a|echo x\0y|", "tasks.lst:2: SHELL_COMMAND holds a NUL character (byte 0) after \"echo x\""),
        ("1|-1|1|0|na\0me|true|", "tasks.lst:2: PROCESS_NAME holds a NUL character (byte 0) after \"na\""),
        ("1|-1|1|0|a|true|out\0.log", "tasks.lst:2: LOGFILE holds a NUL character"),
        ("1\0|-1|1|0|a|true|", "tasks.lst:2: ID holds a NUL character"),
    ])
    func aNULInAFieldIsRefusedNamingTheLineAndTheField(line: String, message: String) {
        do {
            _ = try parse("#SHELL\n\(line)\n")
            Issue.record("accepted")
        } catch {
            #expect(error.problems.first?.hasPrefix(message) == true, "\(error.problems)")
            #expect(!error.description.utf8.contains(0))
        }
    }

    /// Delimiters are found in the bytes: a `#`, `}` or `|` that a combining
    /// mark follows (one `Character` with it) still is one.
    @Test func delimitersCountWhateverMarkFollowsThem() throws {
        let list = try parse("#SHELL\n#\u{301} a comment\n1|-1|1|0|a|echo $ENV{HOME}\u{301}|\n2|1|1|0|b|\u{301}x|\n")
        let commands = list.job.steps.map { step -> [Unicode.Scalar] in
            guard case .shell(let command) = step.action else { return [] }
            return Array(command.unicodeScalars)
        }
        #expect(commands == [Array("echo /root\u{301}".unicodeScalars), Array("\u{301}x".unicodeScalars)])
    }

    @Test func problemsShowControlCharactersAsEscapes() {
        do {
            _ = try parse("#SHELL\nx\u{1B}[2J|-1|1|0|a|true|\n")
            Issue.record("accepted")
        } catch {
            #expect(error.description == "invalid task list: tasks.lst:2: ID \"x\\u{1B}[2J\" is not a whole number above 0")
            #expect(error.problems == ["tasks.lst:2: ID \"x\u{1B}[2J\" is not a whole number above 0"], "the problems keep the text")
        }
    }
}

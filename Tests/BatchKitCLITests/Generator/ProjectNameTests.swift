import BatchKit
import BatchKitRunner
import BatchKitCommandLine
@testable import BatchKitCLI
import TestSupport
import Testing

@Suite struct ProjectNameTests {
    @Test(arguments: [
        ("my-job", "MyJob"), ("nightly_etl", "NightlyEtl"), ("myJob", "MyJob"), ("etl2", "Etl2"), ("a", "A"),
        ("ETL", "ETL"),
    ])
    func moduleNamesAreDerivedSafely(name: String, module: String) throws {
        #expect(try ProjectName(name).module == module)
    }

    @Test(arguments: [
        ("", "empty"), ("my job", "space"), ("jobs/nightly", "path separator"), ("..\\x", "path separator"),
        ("1job", "starts with a digit"), ("class", "Swift keyword"), ("import", "Swift keyword"),
        ("jöb", "contains \"ö\""), ("job.v2", "contains \".\""), ("-job", "start with a letter"), ("_x", "must start with a letter, like job_x"), ("job-", "must not end with -"),
        ("run", "module name would be Run"), ("batch-kit", "module name would be BatchKit"),
        ("self", "keyword"), ("any", "keyword"),
    ])
    func badNamesAreRefusedWithTheReason(name: String, reason: String) {
        do {
            _ = try ProjectName(name)
            Issue.record("\"\(name)\" was accepted")
        } catch {
            #expect(error.code == .invalidName)
            #expect(error.exitCode.rawValue == 64)
            #expect(error.message.contains(reason), "\(error.message)")
        }
    }
}

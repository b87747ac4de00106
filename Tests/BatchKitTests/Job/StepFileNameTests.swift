import BatchKit
import Testing

@Suite struct StepFileNameTests {
    @Test func shortNamesKeepTheSlugTheyAlwaysHad() {
        #expect(StepFileName.slug("Validate input") == "validate_input")
        #expect(StepFileName.slug("Écrire fichier") == "ecrire_fichier")
        let hundred = String(repeating: "a", count: StepFileName.longestSlug)
        #expect(StepFileName.slug(hundred) == hundred, "a slug of exactly the limit is kept whole")
    }

    /// The suffix is FNV-1a of the whole slug: these values are computed by
    /// an independent implementation (Python), so they hold on any machine
    /// and in any process (Swift's `hashValue` is seeded per process).
    @Test(arguments: [
        (String(repeating: "n", count: 300), String(repeating: "n", count: 83) + "_a4cf91b7088f4495"),
        (String(repeating: "é", count: 200), String(repeating: "e", count: 83) + "_a08b0ac566be65cd"),
    ])
    func aLongNameGetsABoundedSlugWithAStableHash(name: String, slug: String) {
        #expect(StepFileName.slug(name) == slug)
        #expect(StepFileName.slug(name).utf8.count == StepFileName.longestSlug)
        #expect(StepFileName.make(number: 12, name: name) == "12_\(slug).swift")
    }

    @Test func longNamesThatDifferOnlyAtTheEndGetDifferentSlugs() {
        let one = StepFileName.slug(String(repeating: "n", count: 299) + "m")
        let other = StepFileName.slug(String(repeating: "n", count: 300))
        #expect(one != other)
        #expect(one == String(repeating: "n", count: 83) + "_a4cf8eb7088f3f7c")
    }

    @Test func boundedCutsBetweenCharactersWithinTheByteLimit() {
        let text = String(repeating: "é", count: 200)  // 400 bytes
        let bounded = StepFileName.bounded(text, toBytes: 100)
        #expect(bounded.utf8.count <= 100)
        #expect(bounded.hasPrefix(String(repeating: "é", count: 41) + "_"), "41 two-byte characters fit before the 17-byte suffix")
        #expect(StepFileName.bounded("short", toBytes: 100) == "short")
    }

    @Test(arguments: [
        ("MyJob/01_extract.swift", 1), ("03_transform.swift", 3), ("Job/120_x.swift", 120),
    ])
    func numberedFilesGiveTheirNumber(file: String, number: Int) {
        #expect(StepFileName(fileID: file)?.number == number)
    }

    @Test(arguments: ["MyJob/Job.swift", "01extract.swift", "00_zero.swift", "01_x.txt", "_01_x.swift"])
    func otherFilesAreNotSteps(file: String) {
        #expect(StepFileName(fileID: file) == nil)
    }

    @Test func namesBecomeFileNames() {
        #expect(StepFileName.make(number: 5, name: "Score model") == "05_score_model.swift")
        #expect(StepFileName.make(number: 12, name: "Load → Warehouse (v2)!") == "12_load_warehouse_v2.swift")
        #expect(StepFileName.make(number: 1, name: "Écrire fichier") == "01_ecrire_fichier.swift")
        #expect(StepFileName.make(number: 1, name: "日本語 load") == "01_load.swift")
        #expect(StepFileName.make(number: 1, name: "???") == "01_step.swift")
    }

    @Test func aSwiftStepTakesItsIDFromItsFile() {
        let step = Step("Extract", fileID: "MyJob/07_extract.swift") { _ in }
        #expect(step.id == 7)
        #expect(step.displayID == "07")
        #expect(step.source == "MyJob/07_extract.swift")
    }
}

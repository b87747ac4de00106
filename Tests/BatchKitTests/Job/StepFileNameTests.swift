import BatchKit
import Testing

@Suite struct StepFileNameTests {
    /// The suffix is FNV-1a of the whole slug: these values are computed by
    /// an independent implementation (Python), so they hold on any machine
    /// and in any process (Swift's `hashValue` is seeded per process).
    /// Names whose slug fits keep the slug they always had.
    @Test func aLongNameGetsABoundedSlugWithAStableHash() {
        for (name, slug) in [
            (String(repeating: "n", count: 300), String(repeating: "n", count: 83) + "_a4cf91b7088f4495"),
            (String(repeating: "é", count: 200), String(repeating: "e", count: 83) + "_a08b0ac566be65cd"),
            ("Validate input", "validate_input"),
            ("Écrire fichier", "ecrire_fichier"),
            (String(repeating: "a", count: 100), String(repeating: "a", count: 100)),
        ] {
            #expect(StepFileName.slug(name) == slug)
            #expect(StepFileName.slug(name).utf8.count <= StepFileName.longestSlug)
            #expect(StepFileName.make(number: 12, name: name) == "12_\(slug).swift")
        }
        // Long names that differ only at the end still get different slugs.
        #expect(StepFileName.slug(String(repeating: "n", count: 299) + "m") == String(repeating: "n", count: 83) + "_a4cf8eb7088f3f7c")
        // Cut between characters, within the byte limit.
        let bounded = StepFileName.bounded(String(repeating: "é", count: 200), toBytes: 100)
        #expect(bounded.utf8.count <= 100)
        #expect(bounded.hasPrefix(String(repeating: "é", count: 41) + "_"), "41 two-byte characters fit before the 17-byte suffix")
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

import BatchKit
import Testing

@Suite struct ParametersTests {
    /// A parameter declared with a default always has a value by the time a
    /// step runs, so `require` gives it without an optional.
    @Test func requireGivesTheValueWithoutAnOptional() throws {
        let parameters = Parameters(["top_n": "1_000", "ratio": "0.5", "dry": "yes", "size": "2GB", "day": "2026-11-24"])
        let topN: Int = try parameters.require("top_n", as: Int.self)
        #expect(topN == 1000)
        #expect(try parameters.require("ratio", as: Double.self) == 0.5)
        #expect(try parameters.require("dry", as: Bool.self))
        #expect(try parameters.require("size", as: ByteCount.self) == .gigabytes(2))
        #expect(try parameters.require("day", as: String.self) == "2026-11-24")
        let inferred: Int = try parameters.require("top_n")
        #expect(inferred == 1000)
    }

    @Test func aMissingRequiredParameterSaysHowToGiveIt() {
        #expect {
            _ = try Parameters().require("top_n", as: Int.self)
        } throws: { error in
            String(describing: error) == "parameter top_n is not set: declare it with a default in config/base.json "
                + "(\"params\": {\"top_n\": …}), or give it as --param top_n=<a whole number>"
        }
    }

    @Test(arguments: [("top_n", "many", "a whole number"), ("dry", "maybe", "true or false"), ("size", "lots", "a size such as 200MB or 2GB")])
    func aValueOfTheWrongTypeIsRefused(key: String, value: String, expected: String) {
        let parameters = Parameters([key: value])
        do {
            switch key {
            case "dry": _ = try parameters.require(key, as: Bool.self)
            case "size": _ = try parameters.require(key, as: ByteCount.self)
            default: _ = try parameters.require(key, as: Int.self)
            }
            Issue.record("accepted \(key)=\(value)")
        } catch {
            #expect(String(describing: error) == "parameter \(key)=\(value) is not \(expected); give it as --param \(key)=<\(expected)>")
        }
    }

    @Test func theOptionalGettersStayForParametersThatMayBeLeftOut() throws {
        let parameters = Parameters(["workers": "2", "size": "1KiB"])
        #expect(try parameters.int("workers") == 2)
        #expect(try parameters.int("absent") == nil)
        #expect(try parameters.byteCount("size") == 1024)
        #expect(try parameters.value("absent", as: Double.self) == nil)
    }
}

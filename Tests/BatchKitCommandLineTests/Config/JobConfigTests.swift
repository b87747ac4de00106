import BatchKit
import BatchKitRunner
import BatchKitNotify
import BatchKitCommandLine
import Foundation
import TestSupport
import Testing

@Suite struct JobConfigTests {
    func project(base: String?, environments: [String: String] = [:]) throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        if let base { try directory.write("config/base.json", base) }
        for (name, text) in environments { try directory.write("config/\(name).json", text) }
        return directory
    }

    static let base = """
        {"params": {"rows": 100, "ratio": 0.5, "dry": false, "day": {"type": "string", "required": true, "description": "the day"},
                    "size": {"type": "size", "default": "1MB"}, "note": "hello"}}
        """

    @Test func layersGoBaseThenEnvironmentThenVariablesThenCommandLine() throws {
        let directory = try project(base: Self.base, environments: ["prod": #"{"params": {"rows": 5000, "ratio": 0.9, "note": "prod"}}"#])
        let config = try JobConfig.load(projectDirectory: directory.url, environment: "prod", variables: [:])
        #expect(config.files == ["config/base.json", "config/prod.json"])
        let resolved = try config.resolve(
            commandLine: ["day": "2026-11-20", "note": "cli"], variables: ["BATCHKIT_PARAM_RATIO": "0.95", "BATCHKIT_PARAM_DAY": "ignored"])
        #expect(resolved.values == ["rows": "5000", "ratio": "0.95", "dry": "false", "day": "2026-11-20", "size": "1MB", "note": "cli"])
        #expect(resolved.sources["rows"] == "config/prod.json")
        #expect(resolved.sources["ratio"] == "$BATCHKIT_PARAM_RATIO")
        #expect(resolved.sources["day"] == "--param")
        #expect(resolved.sources["size"] == "config/base.json")
    }

    @Test func unknownIllTypedAndMissingParametersAreClearErrors() throws {
        let directory = try project(base: Self.base)
        let config = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: [:])
        func problem(_ commandLine: [String: String], _ variables: [String: String] = [:]) -> String {
            do {
                _ = try config.resolve(commandLine: commandLine, variables: variables)
                return ""
            } catch {
                return error.description
            }
        }
        #expect(problem(["day": "x", "rosw": "3"]) == "--param rosw: unknown parameter (did you mean rows?); its parameters are day, dry, note, ratio, rows, size in config/base.json")
        #expect(problem(["day": "x", "rows": "many"]) == "--param rows=many is not a whole number; config/base.json declares rows as int")
        #expect(problem(["day": "x", "dry": "maybe"]).contains("is not true or false"))
        #expect(problem(["day": "x", "size": "huge"]).contains("is not a size such as 200MB"))
        #expect(problem(["day": "x"], ["BATCHKIT_PARAM_RATIO": "half"]) == "ratio=half (from $BATCHKIT_PARAM_RATIO) is not a number; config/base.json declares ratio as number")
        #expect(problem([:]).hasPrefix("missing required parameter: day (the day): give --param day=…, set BATCHKIT_PARAM_DAY"))
    }

    @Test func badFilesNameTheFileAndTheKey() throws {
        func problem(_ base: String?, environment: String? = nil, _ environments: [String: String] = [:]) throws -> String {
            let directory = try project(base: base, environments: environments)
            do {
                _ = try JobConfig.load(projectDirectory: directory.url, environment: environment, variables: [:])
                return ""
            } catch {
                return error.description
            }
        }
        #expect(try problem("{\"params\": {\"rows\": 1}").hasPrefix("config/base.json is not valid JSON"))
        #expect(try problem(#"{"parms": {}}"#) == #"config/base.json: unknown key "parms" (did you mean params?); the keys are "params", "notify" and "timeZone" (keys starting with _ are comments)"#)
        #expect(try problem(#"{"timeZone": "Europe/Pari"}"#)
            == #"config/base.json: "timeZone": "Europe/Pari" is not a time zone (did you mean Europe/Paris?); give an IANA time zone name such as Europe/Paris, America/New_York or UTC"#)
        #expect(try problem(#"{"timeZone": "GMT+1"}"#).hasPrefix(#"config/base.json: "timeZone": "GMT+1" is not a time zone"#), "an offset reads differently elsewhere")
        #expect(try problem(#"{"timeZone": 2}"#).hasPrefix(#"config/base.json: "timeZone" must be text, an IANA time zone name"#))
        #expect(try problem("{}", environment: "prod", ["prod": #"{"timeZone": "Mars/Olympus"}"#]).hasPrefix(#"config/prod.json: "timeZone": "Mars/Olympus" is not a time zone"#))
        #expect(try problem(#"{"params": {"rows": {"type": "integer"}}}"#).contains("params.rows needs \"type\": one of string, int, number, bool, size"))
        #expect(try problem(#"{"params": {"rows": 1}}"#, environment: "prod", ["dev": "{}"]) == "--env prod: there is no config/prod.json; environments here: dev")
        #expect(try problem(#"{"params": {"rows": 1}}"#, environment: "prod", ["prod": #"{"params": {"colums": 3}}"#])
            == "config/prod.json: params.colums is not a parameter of this job (its parameters are rows in config/base.json); declare it there first")
        #expect(try problem(#"{"params": {"rows": 1}}"#, environment: "prod", ["prod": #"{"params": {"rows": "lots"}}"#])
            == "config/prod.json: params.rows is lots, which is not a whole number (config/base.json declares it int)")
        #expect(try problem(#"{"notify": {"webhook": {"url": "ftp://x"}}}"#).contains("must start with http:// or https://"))
        #expect(try problem(#"{"notify": {"email": {"to": []}}}"#).contains("notify.email.to must list at least one address"))
        #expect(try problem(#"{"notify": {"on": ["finish"]}}"#).contains("the events are start, success and failure"))
    }

    /// The job's time zone: an environment file's over base.json's, and
    /// today there, not on the machine's clock.
    @Test func theTimeZoneComesFromTheFilesEnvironmentLast() throws {
        let directory = try project(base: #"{"timeZone": "Pacific/Kiritimati"}"#, environments: ["us": #"{"timeZone": "Pacific/Pago_Pago"}"#])
        let base = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: [:])
        #expect(base.timeZone?.zone.identifier == "Pacific/Kiritimati" && base.timeZone?.file == "config/base.json")
        let us = try JobConfig.load(projectDirectory: directory.url, environment: "us", variables: [:])
        #expect(us.timeZone?.zone.identifier == "Pacific/Pago_Pago" && us.timeZone?.file == "config/us.json")
        // UTC+14 and UTC-11 are always on different days.
        #expect(base.today == us.today.adding(days: 1))
        let none = try JobConfig.load(projectDirectory: try project(base: "{}").url, environment: nil, variables: [:])
        #expect(none.timeZone == nil && none.runTimeZone == RunDate.jobTimeZone)
        let utc = try JobConfig.load(projectDirectory: try project(base: #"{"timeZone": "UTC"}"#).url, environment: nil, variables: [:])
        #expect(utc.runTimeZone.secondsFromGMT() == 0)
    }

    @Test func withoutDeclarationsAnyParameterIsTaken() throws {
        let directory = try project(base: nil)
        let config = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: [:])
        #expect(config.declarations == nil)
        let resolved = try config.resolve(commandLine: ["anything": "goes"], variables: ["BATCHKIT_PARAM_OTHER": "x"])
        #expect(resolved.values == ["anything": "goes"])

        // An empty "params" declares that there are none.
        let none = try project(base: #"{"params": {}}"#)
        do {
            _ = try JobConfig.load(projectDirectory: none.url, environment: nil, variables: [:]).resolve(commandLine: ["x": "1"], variables: [:])
            Issue.record("an undeclared parameter was taken")
        } catch {
            #expect(error.description == #"--param x: unknown parameter; it declares none under "params" in config/base.json"#)
        }
    }

    /// JSON can hold `\u0000`, which a step's environment variable cannot:
    /// the value would be cut there without a word.
    @Test func aNULInAParameterValueIsRefused() throws {
        let declared = try project(base: #"{"params": {"note": "a\u0000b"}}"#)
        let undeclared = try project(base: nil, environments: ["prod": #"{"params": {"note": "x\u0000"}}"#])
        for (directory, environment, source) in [(declared, nil as String?, "config/base.json"), (undeclared, "prod", "config/prod.json")] {
            do {
                _ = try JobConfig.load(projectDirectory: directory.url, environment: environment, variables: [:]).resolve(commandLine: [:], variables: [:])
                Issue.record("a NUL was taken")
            } catch {
                #expect(error.description == "parameter note (from \(source)) holds a NUL character (\\u0000), which would cut $BATCHKIT_PARAM_NOTE short; remove it")
            }
        }
    }

    /// Names a step would see as one `BATCHKIT_PARAM_…` variable, from every
    /// source of parameters, and the message that names them.
    @Test(arguments: [
        (nil, [:], ["a.b": "1", "a-b": "2"],
         "--param a-b and --param a.b: both become $BATCHKIT_PARAM_A_B, so a step would get only one of them; keep one name (names that differ only in case or in . - _ are one parameter to a step)"),
        (nil, ["prod": #"{"params": {"A_B": 3}}"#], ["a.b": "1"],
         "A_B in config/prod.json and --param a.b: both become $BATCHKIT_PARAM_A_B, so a step would get only one of them; keep one name (names that differ only in case or in . - _ are one parameter to a step)"),
        (nil, ["prod": #"{"params": {"A_B": 3, "a-b": 4, "a.b": 5}}"#], [:],
         "config/prod.json has A_B, a-b and a.b: all become $BATCHKIT_PARAM_A_B, so a step would get only one of them; keep one name (names that differ only in case or in . - _ are one parameter to a step)"),
        (#"{"params": {"a.b": 1, "A-B": {"type": "int"}}}"#, [:], [:],
         "config/base.json has A-B and a.b: both become $BATCHKIT_PARAM_A_B, so a step would get only one of them; keep one name (names that differ only in case or in . - _ are one parameter to a step)"),
    ] as [(String?, [String: String], [String: String], String)])
    func namesAStepWouldSeeAsOneVariableAreRefused(base: String?, environments: [String: String], commandLine: [String: String], message: String) throws {
        let directory = try project(base: base, environments: environments)
        do {
            let config = try JobConfig.load(projectDirectory: directory.url, environment: environments.keys.first, variables: [:])
            _ = try config.resolve(commandLine: commandLine, variables: [:])
            Issue.record("a clash was taken")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func aSecretParameterIsDeclaredResolvedAndNeverQuotedInMessages() throws {
        let base = #"{"params": {"day": "today", "pin": {"type": "int", "secret": true, "required": true}}}"#
        let directory = try project(base: base)
        let config = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: [:])
        #expect(config.declarations?["pin"]?.secret == true)
        #expect(config.declarations?["day"]?.secret == false)
        let resolved = try config.resolve(commandLine: ["pin": "1234"], variables: [:])
        #expect(resolved.values == ["day": "today", "pin": "1234"], "the steps get the value")
        #expect(resolved.secrets == ["pin"])
        #expect(resolved.sources["pin"] == "--param")

        func problem(_ commandLine: [String: String], _ variables: [String: String] = [:]) -> String {
            do {
                _ = try config.resolve(commandLine: commandLine, variables: variables)
                return ""
            } catch {
                return error.description
            }
        }
        #expect(problem(["pin": "hunter2"]) == "--param pin=*** is not a whole number; config/base.json declares pin as int")
        #expect(problem([:], ["BATCHKIT_PARAM_PIN": "hunter2"]) == "pin=*** (from $BATCHKIT_PARAM_PIN) is not a whole number; config/base.json declares pin as int")
        let environmentFile = try project(base: base, environments: ["prod": #"{"params": {"pin": "hunter2"}}"#])
        do {
            _ = try JobConfig.load(projectDirectory: environmentFile.url, environment: "prod", variables: [:])
            Issue.record("an ill-typed secret was taken")
        } catch {
            #expect(error.description == "config/prod.json: params.pin is ***, which is not a whole number (config/base.json declares it int)")
        }
        let notFlag = try project(base: #"{"params": {"pin": {"type": "int", "secret": "yes"}}}"#)
        #expect(throws: JobConfig.Problem.self) { try JobConfig.load(projectDirectory: notFlag.url, environment: nil, variables: [:]) }
    }

    @Test func aResumedRunsSecretsAreTakenAgainOrTheErrorSaysHow() throws {
        let base = #"{"params": {"password": {"type": "string", "secret": true, "required": true}, "token": {"type": "string", "secret": true}}}"#
        let directory = try project(base: base)
        let config = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: [:])
        #expect(try config.secrets(["password"], resuming: "r1", commandLine: ["password": "hunter2"], variables: [:]) == ["password": "hunter2"])
        #expect(try config.secrets(["password"], resuming: "r1", commandLine: [:], variables: ["BATCHKIT_PARAM_PASSWORD": "from-env"]) == ["password": "from-env"])
        do {
            _ = try config.secrets(["password", "token"], resuming: "r1", commandLine: [:], variables: [:])
            Issue.record("a missing secret was taken")
        } catch {
            #expect(error.description == "--resume: run r1 has the secret parameters password, token, whose values are never recorded; give them again with --param password=… --param token=…, or set BATCHKIT_PARAM_PASSWORD and BATCHKIT_PARAM_TOKEN")
        }
    }

    @Test func webhookURLsComeFromTheEnvironmentAndAreNeverShown() throws {
        let secret = "https://hooks.example.com/services/T000/B000/SECRETTOKEN"
        let directory = try project(base: #"{"notify": {"webhook": {"url_env": "TEAM_HOOK"}, "on": ["failure"]}}"#)
        let unset = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: [:])
        #expect(unset.notify.webhook == nil)
        #expect(unset.notify.unavailable == [NotifySettings.Unavailable(channel: "webhook", reason: "$TEAM_HOOK is not set")])
        let set = try JobConfig.load(projectDirectory: directory.url, environment: nil, variables: ["TEAM_HOOK": secret])
        #expect(set.notify.webhook?.url == secret)
        #expect(set.notify.webhook?.label == "https://hooks.example.com/…")
        #expect(set.notify.events == [.failure])
        // A URL kept in a config file that stays out of version control.
        let inFile = try project(base: "{}", environments: ["prod": #"{"notify": {"webhook": {"url": "\#(secret)", "format": "json"}}}"#])
        let fromFile = try JobConfig.load(projectDirectory: inFile.url, environment: "prod", variables: [:])
        #expect(fromFile.notify.webhook == NotifySettings.Webhook(url: secret, format: .json, source: "config/base.json + config/prod.json"))

        let override = try JobConfig.load(
            projectDirectory: directory.url, environment: nil, variables: ["BATCHKIT_WEBHOOK_URL": "http://user:pw@10.0.0.1:8080/x?token=1"])
        #expect(override.notify.webhook?.label == "http://10.0.0.1:8080/…")
        #expect(override.notify.webhook?.source == "$BATCHKIT_WEBHOOK_URL")

        // Steps never get the variables that hold notification secrets, set or not.
        #expect(unset.notify.secretVariables == ["BATCHKIT_WEBHOOK_URL", "TEAM_HOOK"])
        #expect(fromFile.notify.secretVariables == ["BATCHKIT_WEBHOOK_URL"])
    }
}

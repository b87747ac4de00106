import BatchKit
import Foundation

/// Entries decoded in parallel, by chunk.
private final class DecodedChunks: @unchecked Sendable {
    private let lock = NSLock()
    private var chunks: [[CacheEntry]]

    init(count: Int) { chunks = Array(repeating: [], count: count) }

    func set(_ index: Int, _ entries: [CacheEntry]) { lock.withLock { chunks[index] = entries } }

    var all: [CacheEntry] { lock.withLock { chunks.flatMap { $0 } } }
}

/// Decides, for one run, whether each step is up to date: its
/// ``StepInputs`` now against the ``CacheEntry`` of its last pass, then the
/// files that pass wrote. Reads `logs/cache/<job>/` (``RunLayout``); only
/// ``RunRecorder`` writes there.
///
/// A step that declares neither reads nor writes is never up to date.
public final class StepCache: @unchecked Sendable {
    /// What the run gives every step, as the fingerprint sees it.
    public struct Settings: Sendable {
        /// The effective parameters, secret ones as `***`.
        public var parameters: [String: String]
        public var environment: String?
        public var runDate: RunDate?
        /// `--force`: `nil` forces nothing, an empty set forces every step.
        public var forced: Set<StepID>?
        /// `--no-cache`: no step is found up to date (entries are still written).
        public var enabled: Bool

        public init(
            parameters: [String: String] = [:], environment: String? = nil, runDate: RunDate? = nil, forced: Set<StepID>? = nil,
            enabled: Bool = true
        ) {
            self.parameters = parameters
            self.environment = environment
            self.runDate = runDate
            self.forced = forced
            self.enabled = enabled
        }

        func isForced(_ id: StepID) -> Bool { forced.map { $0.isEmpty || $0.contains(id) } ?? false }
    }

    public let layout: RunLayout
    public let job: String
    public let settings: Settings
    /// The latest entry of each step.
    public let entries: [StepID: CacheEntry]
    /// The file hash index, saved by the recorder at the end of the run.
    public let hashes: FileHashes

    private let lock = NSLock()
    /// The job module's source files (relative to the module's folder) and
    /// their hashes, by module, found once per run.
    private var modules: [String: [String: ContentHash]] = [:]

    /// What the job's cache folder holds: the entries and the file hash
    /// index, read once (a run reads them on another thread while it starts).
    public struct Stored: Sendable {
        public let entries: [StepID: CacheEntry]
        public let hashes: FileHashes

        /// Reads `logs/cache/<job>/`.
        public init(layout: RunLayout, job: String) {
            entries = StepCache.loadEntries(layout.cacheEntries(job: job))
            hashes = FileHashes(contentsOf: layout.fileHashIndex(job: job))
        }
    }

    /// Loads the job's entries and file hash index, or takes them already read.
    public init(layout: RunLayout, job: String, settings: Settings, stored: Stored? = nil) {
        let stored = stored ?? Stored(layout: layout, job: job)
        self.layout = layout
        self.job = job
        self.settings = settings
        self.entries = stored.entries
        self.hashes = stored.hashes
    }

    /// The entries of `url`, one JSON object per line, the last of each step
    /// winning. A line that does not decode (cut short by a crash) is skipped.
    static func loadEntries(_ url: URL) -> [StepID: CacheEntry] {
        guard let data = FileManager.default.contents(atPath: url.path) else { return [:] }
        let lines = data.split(separator: UInt8(ascii: "\n"))
        // Decoding the lines as one array per core is several times faster
        // than one decode per line; a chunk with a line that does not decode
        // (cut short by a crash) is read line by line.
        let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, lines.count / 256))
        let size = (lines.count + chunks - 1) / max(1, chunks)
        let decoded = DecodedChunks(count: chunks)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let part = lines[min(lines.count, chunk * size)..<min(lines.count, (chunk + 1) * size)]
            decoded.set(chunk, decode(part))
        }
        var entries: [StepID: CacheEntry] = [:]
        // In file order, so the last entry of each step wins.
        for entry in decoded.all { entries[entry.step] = entry }
        return entries
    }

    private static func decode(_ lines: ArraySlice<Data>) -> [CacheEntry] {
        let decoder = JSONCoding.decoder()
        var array = Data("[".utf8)
        array.reserveCapacity(lines.reduce(2) { $0 + $1.count + 1 })
        for (index, line) in lines.enumerated() {
            if index > 0 { array.append(UInt8(ascii: ",")) }
            array.append(contentsOf: line)
        }
        array.append(UInt8(ascii: "]"))
        if let all = try? decoder.decode([CacheEntry].self, from: array) { return all }
        return lines.compactMap { try? decoder.decode(CacheEntry.self, from: Data($0)) }
    }

    // MARK: Inputs

    /// The step's inputs now, given the context values its ancestors set.
    ///
    /// - Returns: The inputs, or the reason they cannot be known (a file
    ///   that cannot be read): then the step runs and records no entry.
    public func inputs(of step: Step, context: [String: String]) -> Result<StepInputs, RunReason> {
        var code: [String: ContentHash] = [:]
        var runtime: String?
        switch step.action {
        case .swift:
            code = swiftSources(of: step)
            runtime = BatchKit.version
        case .shell(let command):
            code["command"] = ContentHash.of(command)
        case .python(let task):
            code["task"] = ContentHash.of(parts: [task.module, task.worker, task.interpreter] + task.arguments)
            let file = pythonModuleFile(task)
            switch hashes.hashes(of: [file.absolute])[file.absolute] {
            case .success(let hash)??: code[file.shown] = hash
            case .failure(let problem)??: return .failure(.inputUnreadable(file.shown, problem: problem.description))
            default: break
            }
        }
        let files = DeclaredFiles.expand(step.reads, in: layout.workingDirectory)
        let found = hashes.hashes(of: files.map(\.absolute))
        var reads: [String: ContentHash?] = [:]
        for file in files {
            switch found[file.absolute] ?? nil {
            case .success(let hash)?: reads[file.relative] = .some(hash)
            case .failure(let problem)?: return .failure(.inputUnreadable(file.relative, problem: problem.description))
            case nil: reads[file.relative] = .some(nil)
            }
        }
        return .success(StepInputs(
            code: code, runtime: runtime, parameters: settings.parameters, environment: settings.environment,
            runDate: settings.runDate?.description, context: context.mapValues(ContentHash.of), reads: reads))
    }

    /// Hashes every file `steps` read and the files their entries wrote, in
    /// parallel, so that checking them one by one reads nothing more.
    public func prefetch(_ steps: [Step]) {
        var paths: [String] = []
        for step in steps where step.declaresFiles {
            paths += DeclaredFiles.expand(step.reads, in: layout.workingDirectory).map(\.absolute)
            paths += (entries[step.id]?.writes.keys).map { $0.map(absolute) } ?? []
        }
        _ = hashes.hashes(of: paths)
    }

    /// The hashes of what a step that just passed wrote; files that do not
    /// exist are left out.
    ///
    /// - Returns: `nil` when a file cannot be read: then no entry is written.
    public func outputs(of step: Step) -> [String: ContentHash]? {
        let files = DeclaredFiles.expand(step.writes, in: layout.workingDirectory)
        let found = hashes.hashes(of: files.map(\.absolute))
        var writes: [String: ContentHash] = [:]
        for file in files {
            switch found[file.absolute] ?? nil {
            case .success(let hash)?: writes[file.relative] = hash
            case .failure?: return nil
            case nil: continue
            }
        }
        return writes
    }

    // MARK: Verdicts

    /// Whether `step`, with these inputs, is up to date, and if not why.
    /// The reasons that concern the step itself come first; `--force`,
    /// `--no-cache` and undeclared files before anything is read.
    public func verdict(of step: Step, inputs: StepInputs) -> CacheVerdict {
        if let reason = precheck(step) { return .run(reason) }
        guard let entry = entries[step.id] else { return .run(.neverPassed) }
        if let reason = Self.difference(from: entry.inputs, to: inputs) { return .run(reason) }
        if let reason = outputsChanged(entry) { return .run(reason) }
        return .upToDate(entry)
    }

    /// A reason to run that needs no reading: caching off, forced, nothing
    /// declared.
    public func precheck(_ step: Step) -> RunReason? {
        if settings.isForced(step.id) { return .forced }
        if !settings.enabled { return .cachingOff }
        if !step.declaresFiles { return .undeclared }
        return nil
    }

    /// The first difference between the inputs of the last pass and now.
    static func difference(from old: StepInputs, to new: StepInputs) -> RunReason? {
        for (file, hash) in new.code.sorted(by: { $0.key < $1.key }) {
            guard let before = old.code[file] else { return .codeAdded(file) }
            if before != hash { return .codeChanged(file) }
        }
        if let gone = old.code.keys.sorted().first(where: { new.code[$0] == nil }) { return .codeRemoved(gone) }
        if old.runtime != new.runtime { return .runtimeChanged(from: old.runtime, to: new.runtime) }
        for key in Set(old.parameters.keys).union(new.parameters.keys).sorted() where old.parameters[key] != new.parameters[key] {
            return .parameterChanged(key, from: old.parameters[key], to: new.parameters[key])
        }
        if old.environment != new.environment { return .environmentChanged(from: old.environment, to: new.environment) }
        if old.runDate != new.runDate { return .runDateChanged(from: old.runDate, to: new.runDate) }
        for key in Set(old.context.keys).union(new.context.keys).sorted() where old.context[key] != new.context[key] {
            return .contextChanged(key)
        }
        for (path, hash) in new.reads.sorted(by: { $0.key < $1.key }) {
            guard let before = old.reads[path] else { return hash == nil ? .inputMissing(path) : .inputAdded(path) }
            if before != hash { return hash == nil ? .inputMissing(path) : .inputChanged(path) }
        }
        if let gone = old.reads.keys.sorted().first(where: { new.reads[$0] == nil }) { return .inputMissing(gone) }
        return nil
    }

    /// The first file the entry's pass wrote that is gone or different now.
    func outputsChanged(_ entry: CacheEntry) -> RunReason? {
        let paths = entry.writes.keys.sorted()
        let found = hashes.hashes(of: paths.map(absolute))
        for path in paths {
            switch found[absolute(path)] ?? nil {
            case .success(let hash)?: if hash != entry.writes[path] { return .outputModified(path) }
            case .failure(let problem)?: return .outputUnreadable(path, problem: problem.description)
            case nil: return .outputMissing(path)
            }
        }
        return nil
    }

    // MARK: Code

    /// A Swift step's code: its numbered file and every other source file of
    /// the job's module that is not a numbered step file.
    private func swiftSources(of step: Step) -> [String: ContentHash] {
        guard let slash = step.source.firstIndex(of: "/") else { return [:] }
        let module = String(step.source[..<slash])
        let own = String(step.source[step.source.index(after: slash)...])
        let all = moduleSources(module)
        return all.filter { file, _ in file == own || StepFileName(fileID: "\(module)/\((file as NSString).lastPathComponent)") == nil }
    }

    /// Every `.swift` file under `Sources/<module>/`, hashed once per run.
    private func moduleSources(_ module: String) -> [String: ContentHash] {
        if let known = lock.withLock({ modules[module] }) { return known }
        let folder = layout.projectDirectory.appendingPathComponent("Sources").appendingPathComponent(module)
        let files = DeclaredFiles.expand([folder.path], in: layout.projectDirectory).filter { $0.absolute.hasSuffix(".swift") }
        let found = hashes.hashes(of: files.map(\.absolute))
        var sources: [String: ContentHash] = [:]
        for file in files {
            if case .success(let hash)?? = found[file.absolute] {
                sources[String(file.absolute.dropFirst(folder.path.count + 1))] = hash
            }
        }
        lock.withLock { modules[module] = sources }
        return sources
    }

    /// A Python task's module file (`pkg/mod.py` or `pkg/mod/__init__.py`
    /// under the worker folder), as shown and where it is.
    private func pythonModuleFile(_ task: PythonTask) -> (shown: String, absolute: String) {
        let base = URL(fileURLWithPath: task.workerDirectory).appendingPathComponent(task.module.replacingOccurrences(of: ".", with: "/"))
        var path = base.path + ".py"
        if !FileManager.default.fileExists(atPath: path), FileManager.default.fileExists(atPath: base.path + "/__init__.py") {
            path = base.path + "/__init__.py"
        }
        let root = layout.workingDirectory.path + "/"
        return (path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path, path)
    }

    private func absolute(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : layout.workingDirectory.path + "/" + relative
    }

    // MARK: Context

    /// The context values `id` receives from its ancestors: `base` (what the
    /// run started with that no step of it set), then what each ancestor set,
    /// in the DAG's order.
    public static func received(
        by id: StepID, graph: JobGraph, base: [String: String], contextSets: [StepID: [String: String]]
    ) -> [String: String] {
        // Most steps set no context: then there is nothing to walk.
        let setters = contextSets.filter { !$0.value.isEmpty }
        guard !setters.isEmpty else { return base }
        var values = base
        let ancestors = Set(graph.ancestors(of: id))
        for ancestor in graph.order where setters[ancestor] != nil && ancestors.contains(ancestor) {
            for (key, value) in setters[ancestor] ?? [:] { values[key] = value }
        }
        return values
    }
}

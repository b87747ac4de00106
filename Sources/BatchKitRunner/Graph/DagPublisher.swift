import BatchKit
import Foundation

/// Writes the DAG where people look for it: `docs/dag.dot`, `docs/dag.svg`
/// when Graphviz is installed, and the README's DAG section.
public struct DagPublisher: Sendable {
    public let layout: RunLayout
    /// The DOT file, `docs/dag.dot` for a generated job.
    public let dotFile: URL
    /// The picture, rendered beside it when Graphviz is installed.
    public let svgFile: URL
    /// The README whose DAG section is replaced; `nil` for none.
    public let readme: URL?
    /// Above this many steps no picture is drawn (no SVG, no Mermaid in the
    /// README): `dot` takes minutes and gigabytes on thousands of steps.
    public var pictureStepLimit = 500
    /// How long `dot` may take, in seconds: `BATCHKIT_DOT_TIMEOUT`, else 30.
    public var renderTimeout: Double = Self.defaultRenderTimeout

    /// `BATCHKIT_DOT_TIMEOUT` when it is a positive number of seconds, else 30.
    public static var defaultRenderTimeout: Double {
        ProcessInfo.processInfo.environment["BATCHKIT_DOT_TIMEOUT"].flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? 30
    }

    /// Publishes into a generated job: `docs/dag.dot`, `docs/dag.svg`, `README.md`.
    public init(layout: RunLayout) {
        self.init(
            layout: layout, dotFile: layout.dagSource, readme: layout.readme)
    }

    /// Publishes to `dotFile` (and the `.svg` beside it) and, if given, `readme`.
    public init(layout: RunLayout, dotFile: URL, readme: URL?) {
        self.layout = layout
        self.dotFile = dotFile
        self.svgFile = dotFile.deletingPathExtension().appendingPathExtension("svg")
        self.readme = readme
    }

    /// Publishes `document`. A cancelled task (the runner got a signal)
    /// stops at once: `dot` is killed and the README is left as it was.
    ///
    /// - Returns: Notes for the report: Graphviz missing or too slow, a DAG
    ///   too big to draw, README without markers, a failed write. Publishing
    ///   never fails a run.
    public func publish(_ document: DagDocument) async -> [String] {
        var notes: [String] = []
        let dot = document.dot()
        do {
            try FileManager.default.createDirectory(at: dotFile.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(dot.utf8).write(to: dotFile, options: .atomic)
        } catch {
            notes.append("cannot write \(layout.relative(dotFile)): \(ErrorDescription.of(error))")
        }

        var svgPath: String?
        let drawn = document.graph.steps.count <= pictureStepLimit
        if Task.isCancelled {
            notes.append("stopped by a signal before \(layout.relative(svgFile)) and the README's DAG were updated")
            return notes
        } else if !drawn {
            notes.append("the DAG has \(document.graph.steps.count) steps, more than \(pictureStepLimit), so no picture was drawn (Graphviz takes minutes on it); its source is \(layout.relative(dotFile))")
        } else if let executable = Graphviz.dotExecutable() {
            do {
                try await Graphviz.render(dot: dot, format: "svg", to: svgFile, executable: executable, timeout: renderTimeout)
                svgPath = layout.relative(svgFile)
            } catch is CancellationError {
                notes.append("stopped by a signal while Graphviz rendered \(layout.relative(svgFile)); it and the README's DAG were not updated")
                return notes
            } catch {
                notes.append("Graphviz could not render \(layout.relative(svgFile)): \(ErrorDescription.of(error))")
            }
        } else {
            notes.append("Graphviz `dot` is not installed, so \(layout.relative(svgFile)) was not rendered\(readme == nil ? "" : " (the README shows the Mermaid diagram)")")
        }

        guard let readme else { return notes }
        guard let text = try? String(contentsOf: readme, encoding: .utf8) else {
            notes.append("no README.md to put the DAG in")
            return notes
        }
        let section = ReadmeDagSection.render(document, svgPath: svgPath, drawn: drawn)
        guard let updated = ReadmeDagSection.replace(in: text, with: section) else {
            notes.append("README.md has no DAG section; add the lines \(ReadmeDagSection.beginMarker) and \(ReadmeDagSection.endMarker) where the DAG should go")
            return notes
        }
        if updated != text {
            do {
                try Data(updated.utf8).write(to: readme, options: .atomic)
            } catch {
                notes.append("cannot update README.md: \(ErrorDescription.of(error))")
            }
        }
        return notes
    }
}

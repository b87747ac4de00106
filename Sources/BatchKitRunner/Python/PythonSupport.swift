import BatchKit
import Foundation

/// The files a Python task runs with — batchkit's driver, its lifecycle, and
/// a minimal `pyrunner` module — written once per run into the run's state
/// folder (``RunLayout/pythonSupportDirectory(_:)``).
///
/// The driver puts the worker folder, then the lifecycle, then the stand-in
/// `pyrunner` at the *end* of `sys.path`: an interpreter that has PyRunner
/// installed imports its own `Worker`, one without it gets batchkit's.
/// Nothing is installed into the user's Python.
package enum PythonSupport {
    /// The files, relative to the support folder, with their text.
    static let files: [(path: String, text: String)] = [
        ("batchkit_worker.py", driver),
        ("lib/_batchkit_lifecycle.py", lifecycle),
        ("fallback/pyrunner/__init__.py", fallbackPackage),
    ]

    /// PyRunner's return code for a worker that could not be loaded (its
    /// module not found, no such class, its `__init__` raised).
    package static let loadFailedCode = 905

    /// Writes the files into `folder` unless they are there already with
    /// this batchkit's text (a run resumed by a newer batchkit gets its
    /// driver), and returns the driver's path. Each file is written to a
    /// temporary name and renamed, so attempts starting together never read
    /// half a file.
    ///
    /// - Throws: A file-system error when the folder cannot be written.
    static func install(in folder: URL) throws -> URL {
        let driver = folder.appendingPathComponent(files[0].path)
        for (path, text) in files.reversed() {
            let target = folder.appendingPathComponent(path)
            if FileManager.default.contents(atPath: target.path) == Data(text.utf8) { continue }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: target, options: .atomic)
        }
        return driver
    }

    /// The command line of one attempt: the interpreter, unbuffered, then
    /// the driver, the task and its arguments.
    static func arguments(driver: URL, task: PythonTask) -> [String] {
        [task.interpreter, "-u", driver.path, task.module, task.worker, task.workerDirectory, "--"] + task.arguments
    }
}

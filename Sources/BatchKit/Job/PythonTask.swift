/// One task of a PyRunner `#PYTHON` task list: a Worker class to load from a
/// module and run in a Python 3 process of its own.
///
/// The runner starts `INTERPRETER -u DRIVER MODULE WORKER WORKER_DIR -- ARGV…`,
/// where the driver (shipped with batchkit) imports the module from the
/// worker folder, runs PyRunner's lifecycle (`run`, then `on_success` or
/// `on_fail`, then `on_exit`) and hands the return code and the context the
/// worker set back through the attempt's result file.
public struct PythonTask: Sendable, Equatable, Codable {
    /// The module that defines the worker (`MODULE_NAME`), as `import` takes it.
    public let module: String
    /// The worker's class name (`WORKER_NAME`).
    public let worker: String
    /// What the worker sees as `self.argv` (the `ARGUMENTS` column, split on
    /// commas outside quotes).
    public let arguments: [String]
    /// The folder the module is imported from (`$APP_WORKER_DIR`).
    public let workerDirectory: String
    /// The Python 3 interpreter: a path, or a name looked up on `PATH`.
    public let interpreter: String

    /// A task that runs `worker` from `module`.
    ///
    /// - Parameters:
    ///   - module: The module name, such as `workers` or `etl.steps`.
    ///   - worker: The class name.
    ///   - arguments: The worker's `self.argv`.
    ///   - workerDirectory: The folder to import the module from.
    ///   - interpreter: The Python 3 interpreter (default `python3` on `PATH`).
    public init(module: String, worker: String, arguments: [String] = [], workerDirectory: String, interpreter: String = "python3") {
        self.module = module
        self.worker = worker
        self.arguments = arguments
        self.workerDirectory = workerDirectory
        self.interpreter = interpreter
    }
}

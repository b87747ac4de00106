// The Python side of #PYTHON task lists, kept here as text so that every
// batchkit binary and every vendored runtime carries it without resource
// bundles: PythonSupport writes these files into the run's state folder.
// Edit them here; PythonWorkerTests runs them against PyRunner 4.4.1, the
// newest 5.x and no PyRunner at all.

extension PythonSupport {
    /// `batchkit_worker.py`: loads one worker, runs its lifecycle, writes the result file.
    static let driver = #"""
        # batchkit: runs one task of a #PYTHON task list in this process.
        #   python3 -u batchkit_worker.py MODULE WORKER WORKER_DIR -- ARGV...
        # The runner passes the context and result files and the step's log through
        # BATCHKIT_CONTEXT_FILE, BATCHKIT_RESULT_FILE and BATCHKIT_LOG_FILE.
        import importlib
        import inspect
        import json
        import os
        import sys
        import traceback

        LOAD_FAILED = 905


        def write_result(path, code, changes, error):
            result = {"ok": code == 0, "returnCode": code, "context": changes}
            if error:
                result["error"] = error
            temporary = path + ".tmp"
            with open(temporary, "w", encoding="utf-8") as handle:
                json.dump(result, handle)
            os.replace(temporary, path)


        def log_error(text):
            os.write(2, (text.rstrip("\n") + "\n").encode("utf-8", "backslashreplace"))


        def changed_values(context, original):
            """The keys the worker set or changed, as JSON text; raises on a value JSON cannot hold."""
            changes = {}
            for key, value in context.items():
                lifecycle.check_context_value(key, value)
                text = json.dumps(value, allow_nan=False, ensure_ascii=False)
                before = original.get(key)
                if before is None or json.dumps(json.loads(before), sort_keys=True) != json.dumps(value, sort_keys=True):
                    changes[key] = text
            return changes


        def complete_logger():
            """Gives PyRunner's own logger the warning() and debug() batchkit documents."""
            try:
                from pyrunner.logger.abstract import Logger
            except ImportError:
                return
            if not hasattr(Logger, "warning") and hasattr(Logger, "warn"):
                Logger.warning = Logger.warn
            if not hasattr(Logger, "debug") and hasattr(Logger, "_emit_"):
                Logger.debug = lambda self, text: self._emit_("DEBUG", text)


        def construct(worker_class, base, context, logfile, argv):
            """An instance, built the way the Worker base in use is built."""
            if base is not None and issubclass(worker_class, base):
                parameters = list(inspect.signature(base.__init__).parameters)
                if "retcode" in parameters:  # PyRunner 4: the return code lives in a shared value.
                    class Value:
                        value = 0
                    return worker_class(context, Value(), logfile, argv)
                return worker_class(context, logfile, argv)

            # A class that does not extend Worker gets the lifecycle around it, as in PyRunner 4.
            def attach(self, context, logfile, argv):
                self._attach(context, logfile, argv)
            adapted = type(worker_class.__name__, (worker_class, lifecycle.Lifecycle), {"__init__": attach})
            return adapted(context, logfile, argv)


        def main():
            module_name, worker_name, worker_dir = sys.argv[1:4]
            argv = sys.argv[5:]
            result_file = os.environ["BATCHKIT_RESULT_FILE"]
            logfile = os.environ.get("BATCHKIT_LOG_FILE")
            with open(os.environ["BATCHKIT_CONTEXT_FILE"], encoding="utf-8") as handle:
                original = json.load(handle)
            context = lifecycle.SharedContext()
            for key, text in original.items():
                dict.__setitem__(context, key, json.loads(text))

            try:
                try:
                    import pyrunner
                    base = getattr(pyrunner, "Worker", None)
                    complete_logger()
                except ImportError:
                    base = None
                module = importlib.import_module(module_name)
                worker_class = getattr(module, worker_name)
                worker = construct(worker_class, base, context, logfile, argv)
            except Exception as error:
                traceback.print_exc()
                where = "module {} from {}".format(module_name, worker_dir)
                if isinstance(error, ModuleNotFoundError) and error.name == module_name.split(".")[0]:
                    message = ("cannot import {}: there is no {}.py there; set APP_WORKER_DIR (in the profile) to the "
                               "folder of the workers".format(where, module_name.replace(".", "/")))
                elif isinstance(error, AttributeError) and not hasattr(sys.modules.get(module_name), worker_name):
                    message = "module {} ({}) has no class {}; check WORKER_NAME".format(
                        module_name, getattr(sys.modules.get(module_name), "__file__", worker_dir), worker_name)
                else:
                    message = "cannot load worker {} from {}: {}: {}".format(worker_name, where, type(error).__name__, error)
                log_error("ERROR " + message)
                write_result(result_file, LOAD_FAILED, {}, message + " (return code {})".format(LOAD_FAILED))
                return 1

            stdout, stderr = sys.stdout, sys.stderr
            try:
                worker.protected_run()
            except SystemExit as stop:
                sys.stdout, sys.stderr = stdout, stderr
                code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
                if code != 0:
                    message = "the worker called sys.exit({}), which skips its remaining lifecycle hooks".format(stop.code)
                    write_result(result_file, code, {}, message)
                    return 1
            finally:
                sys.stdout, sys.stderr = stdout, stderr
            code = worker.retcode
            try:
                changes = changed_values(context, original)
            except lifecycle.ContextValueError as error:
                log_error("ERROR " + str(error))
                write_result(result_file, code or 1, {}, str(error))
                return 1
            error = None
            if code != 0:
                why = getattr(worker, "batchkit_failure", None)
                hook = {901: "run()", 902: "on_success()", 903: "on_fail()", 904: "on_exit()"}.get(code)
                why = why or getattr(context, "batchkit_error", None)
                if why:
                    error = "{} (return code {}; the traceback is in the step's log)".format(why, code)
                elif hook:
                    error = "{} raised an exception (return code {}; the traceback is in the step's log)".format(hook, code)
                else:
                    error = "the worker ended with return code {} (returned by run() or on_exit(), or set as self.retcode)".format(code)
            write_result(result_file, code, changes, error)
            return 0 if code == 0 else 1


        # The driver's own folder must not shadow the user's modules or PyRunner.
        _here = os.path.dirname(os.path.abspath(__file__))
        if sys.path and os.path.abspath(sys.path[0] or ".") == _here:
            del sys.path[0]
        sys.path.append(sys.argv[3])
        sys.path.append(os.path.join(_here, "lib"))
        sys.path.append(os.path.join(_here, "fallback"))
        import _batchkit_lifecycle as lifecycle  # noqa: E402

        if __name__ == "__main__":
            sys.exit(main())
        """#

    /// `lib/_batchkit_lifecycle.py`: the lifecycle, the context, the logger.
    static let lifecycle = #"""
        # batchkit: the Worker lifecycle of PyRunner task lists, written for batchkit.
        # Used as `pyrunner.Worker` when the interpreter has no PyRunner, and to run
        # a worker class that does not extend Worker.
        import json
        import os
        import sys
        import time
        import traceback


        class ContextValueError(TypeError):
            """A context value that cannot be kept as JSON."""


        def check_context_value(key, value):
            """Raises ContextValueError unless `key` and `value` can be kept as JSON."""
            if not isinstance(key, str):
                raise ContextValueError(
                    "context key {!r} is a {}; context keys must be strings".format(key, type(key).__name__))
            try:
                json.dumps(value, allow_nan=False)
            except (TypeError, ValueError) as error:
                kind = type(value)
                name = kind.__name__ if kind.__module__ == "builtins" else "{}.{}".format(kind.__module__, kind.__qualname__)
                raise ContextValueError(
                    "context value {!r} is a {} ({}), which cannot be kept as JSON: batchkit saves the context with the run "
                    "and passes it to other processes. Store a str, int, float, bool, None, or a list or dict of them "
                    "(for example str(value) or value.isoformat())".format(key, name, error)) from None


        class SharedContext(dict):
            """`self.context`: a dict whose values must be JSON-serialisable."""

            def __setitem__(self, key, value):
                try:
                    check_context_value(key, value)
                except ContextValueError as error:
                    self.batchkit_error = str(error)
                    raise
                super().__setitem__(key, value)

            def setdefault(self, key, default=None):
                if key not in self:
                    self[key] = default
                return self[key]

            def update(self, *args, **kwargs):
                for key, value in dict(*args, **kwargs).items():
                    self[key] = value


        class Logger:
            """`self.logger`: timestamped lines in the step's log, one write each."""

            def _emit(self, level, text):
                now = time.time()
                stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + ".{:03d}Z".format(int(now * 1000) % 1000)
                line = "{} {} {}\n".format(stamp, level, text)
                try:
                    sys.stdout.flush()
                except Exception:
                    pass
                os.write(1, line.encode("utf-8", "backslashreplace"))

            def info(self, text):
                self._emit("INFO", text)

            def success(self, text):
                self._emit("SUCCESS", text)

            def warning(self, text):
                self._emit("WARN", text)

            warn = warning

            def error(self, text):
                self._emit("ERROR", text)

            def debug(self, text):
                self._emit("DEBUG", text)

            def close(self):
                pass


        # Return codes of an uncaught exception, as PyRunner numbers them.
        HOOK_CODES = {"run": 901, "on_success": 902, "on_fail": 903, "on_exit": 904}


        class Lifecycle:
            """run(), then on_success() (code 0) or on_fail(), then on_exit()."""

            def _attach(self, context, logfile, argv):
                self.context = context
                self.logfile = logfile
                self.argv = list(argv)
                self.logger = Logger()
                self._retcode = 0
                self.batchkit_failure = None

            @property
            def retcode(self):
                return self._retcode

            @retcode.setter
            def retcode(self, value):
                if int(value) < 0:
                    raise ValueError("retcode must be 0 or more, not {}".format(value))
                self._retcode = int(value)

            def _hook(self, name, keeps_result):
                try:
                    result = getattr(self, name)()
                    if keeps_result:
                        self.retcode = result or self.retcode
                except NotImplementedError:
                    if name == "run":
                        self._failed(name)
                except Exception:
                    self._failed(name)

            def _failed(self, name):
                error = sys.exc_info()[1]
                self.logger.error("uncaught exception in {}() of worker {}: {}".format(
                    name, type(self).__name__, "".join(traceback.format_exception_only(type(error), error)).strip()))
                sys.stdout.write(traceback.format_exc())
                sys.stdout.flush()
                self.batchkit_failure = "{}() raised {}: {}".format(name, type(error).__name__, error)
                self.retcode = HOOK_CODES[name]

            def protected_run(self):
                self._hook("run", True)
                if not self.retcode:
                    self._hook("on_success", True)
                else:
                    self._hook("on_fail", False)
                self._hook("on_exit", True)

            def on_success(self):
                raise NotImplementedError("on_success")

            def on_fail(self):
                raise NotImplementedError("on_fail")

            def on_exit(self):
                raise NotImplementedError("on_exit")


        class Worker(Lifecycle):
            """The base class of a PyRunner worker; override run()."""

            def __init__(self, context, logfile, argv):
                self._attach(context, logfile, argv)

            def run(self):
                raise NotImplementedError("a worker must define run()")
        """#

    /// `fallback/pyrunner/__init__.py`: `pyrunner.Worker` when no PyRunner is installed.
    static let fallbackPackage = #"""
        # batchkit's stand-in for PyRunner, on the path only after an installed
        # PyRunner: `from pyrunner import Worker` works in either case.
        from _batchkit_lifecycle import Worker

        __all__ = ["Worker"]
        """#

}

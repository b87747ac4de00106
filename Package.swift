// swift-tools-version:6.0
import PackageDescription

// batchkit: a generator for production batch jobs (`batchkit new`) and the
// runtime those jobs import. No package dependencies: the toolchain is all a
// user, or a generated job, ever needs.
//
// The runtime is layered, and SwiftPM enforces the direction:
//
//   BatchKit (definition) ← BatchKitParallel
//            ↑
//   BatchKitRunner ← BatchKitNotify, BatchKitCluster, BatchKitSchedule
//            ↑                  ↑
//   BatchKitCommandLine (the job binary's command line; the only module that prints)
//            ↑
//   BatchKitCLI (generator, task lists) ← batchkit
//
// The runtime's modules are vendored, source for source, into every
// generated job as a local package (Templates/runtime/Package.swift).
let runtime: [Target] = [
    // Starting a step's process with its parent-death signal and memory
    // limit set (C: between vfork and exec only system calls may run).
    .target(name: "CBatchKitSpawn"),
    // What step authors import: Job, Step, StepContext, Check, CSV.
    .target(name: "BatchKit"),
    // Data-parallel helpers for steps: MapReduce and its pieces.
    .target(name: "BatchKitParallel", dependencies: ["BatchKit"]),
    // Graph, plan, engine, processes, the run's records, the report.
    .target(name: "BatchKitRunner", dependencies: ["BatchKit", "CBatchKitSpawn"]),
    // Integrations that plug into the runner.
    .target(name: "BatchKitNotify", dependencies: ["BatchKit", "BatchKitRunner"]),
    .target(name: "BatchKitCluster", dependencies: ["BatchKit", "BatchKitRunner"]),
    .target(name: "BatchKitSchedule", dependencies: ["BatchKit", "BatchKitRunner"]),
    // The job binary's command line and its child entry points.
    .target(name: "BatchKitCommandLine", dependencies: [
        "BatchKit", "BatchKitRunner", "BatchKitNotify", "BatchKitCluster", "BatchKitSchedule",
    ]),
]

let package = Package(
    name: "batchkit",
    products: [
        .executable(name: "batchkit", targets: ["batchkit"]),
        .library(name: "BatchKit", targets: ["BatchKit"]),
        .library(name: "BatchKitParallel", targets: ["BatchKitParallel"]),
        .library(name: "BatchKitCommandLine", targets: ["BatchKitCommandLine"]),
    ],
    targets: runtime + [
        // The `batchkit` command's logic, in a library so tests call it directly.
        .target(name: "BatchKitCLI", dependencies: ["BatchKit", "BatchKitRunner", "BatchKitCommandLine"]),
        // A thin entry point.
        .executableTarget(name: "batchkit", dependencies: ["BatchKitCLI"]),
        // Helpers shared by the test targets (temporary folders, real programs).
        .target(name: "TestSupport", dependencies: ["BatchKit", "BatchKitRunner"], path: "Tests/TestSupport"),
        .testTarget(name: "BatchKitTests", dependencies: ["BatchKit", "TestSupport"]),
        .testTarget(name: "BatchKitParallelTests", dependencies: ["BatchKit", "BatchKitParallel", "TestSupport"]),
        .testTarget(name: "BatchKitRunnerTests", dependencies: ["BatchKit", "BatchKitRunner", "TestSupport"]),
        .testTarget(name: "BatchKitNotifyTests", dependencies: ["BatchKit", "BatchKitRunner", "BatchKitNotify", "TestSupport"]),
        .testTarget(name: "BatchKitClusterTests", dependencies: ["BatchKit", "BatchKitRunner", "BatchKitCluster", "TestSupport"]),
        .testTarget(name: "BatchKitScheduleTests", dependencies: ["BatchKit", "BatchKitRunner", "BatchKitSchedule", "TestSupport"]),
        .testTarget(name: "BatchKitCommandLineTests", dependencies: [
            "BatchKit", "BatchKitRunner", "BatchKitNotify", "BatchKitCommandLine", "TestSupport",
        ]),
        .testTarget(name: "BatchKitCLITests", dependencies: [
            "BatchKitCLI", "BatchKit", "BatchKitRunner", "BatchKitCluster", "BatchKitSchedule", "BatchKitCommandLine", "TestSupport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

// BatchKit {{BATCHKIT_VERSION}}, vendored by `batchkit new` / `batchkit upgrade`:
// the runtime's modules, layered so the compiler checks their direction.
// Do not edit: `batchkit upgrade` replaces this folder.
let package = Package(
    name: "BatchKit",
    products: [
        // What steps import: Job, Step, StepContext, Check, CSV.
        .library(name: "BatchKit", targets: ["BatchKit"]),
        // MapReduce and the other data-parallel helpers for steps.
        .library(name: "BatchKitParallel", targets: ["BatchKitParallel"]),
        // The job binary's command line (`JobCommand.main`), which runs everything.
        .library(name: "BatchKitCommandLine", targets: ["BatchKitCommandLine"]),
    ],
    targets: [
        .target(name: "CBatchKitSpawn"),
        .target(name: "BatchKit"),
        .target(name: "BatchKitParallel", dependencies: ["BatchKit"]),
        .target(name: "BatchKitRunner", dependencies: ["BatchKit", "CBatchKitSpawn"]),
        .target(name: "BatchKitNotify", dependencies: ["BatchKit", "BatchKitRunner"]),
        .target(name: "BatchKitCluster", dependencies: ["BatchKit", "BatchKitRunner"]),
        .target(name: "BatchKitSchedule", dependencies: ["BatchKit", "BatchKitRunner"]),
        .target(name: "BatchKitCommandLine", dependencies: [
            "BatchKit", "BatchKitRunner", "BatchKitNotify", "BatchKitCluster", "BatchKitSchedule",
        ]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

// batchkit: a generator for production batch jobs (`batchkit new`) and the
// runtime library (BatchKit) those jobs import. No package dependencies: the
// toolchain is all a user, or a generated job, ever needs.
let package = Package(
    name: "batchkit",
    products: [
        .executable(name: "batchkit", targets: ["batchkit"]),
        .library(name: "BatchKit", targets: ["BatchKit"]),
    ],
    targets: [
        // The runtime a generated job imports. It is vendored, source for
        // source, into every generated project, so it depends on nothing.
        .target(name: "BatchKit"),
        // The `batchkit` command's logic, in a library so tests call it directly.
        .target(name: "BatchKitCLI", dependencies: ["BatchKit"]),
        // A thin entry point.
        .executableTarget(name: "batchkit", dependencies: ["BatchKitCLI"]),
        // Helpers shared by the test targets (temporary folders, real programs).
        .target(name: "TestSupport", dependencies: ["BatchKit"], path: "Tests/TestSupport"),
        .testTarget(name: "BatchKitTests", dependencies: ["BatchKit", "TestSupport"]),
        .testTarget(name: "BatchKitCLITests", dependencies: ["BatchKitCLI", "BatchKit", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

// swift-tools-version:6.0
import PackageDescription

// {{JOB_NAME}}: a batch job made by `batchkit new`. Its steps are the numbered
// files in Sources/{{MODULE}}/; ./run.sh builds (when sources changed) and runs it.
let package = Package(
    name: "{{JOB_NAME}}",
    products: [
        .executable(name: "{{JOB_NAME}}", targets: ["Run"]),
    ],
    dependencies: [
        // The BatchKit runtime, vendored so the job builds offline with only
        // the Swift toolchain. Its version is in Vendor/BatchKit/VERSION;
        // `batchkit upgrade` replaces it with the installed batchkit's copy.
        .package(path: "Vendor/BatchKit"),
    ],
    targets: [
        // The steps, the job definition and the post-job tests.
        .target(name: "{{MODULE}}", dependencies: [{{RUNTIME_PRODUCTS}}]),
        // The job binary: one line that hands the command line to BatchKit.
        .executableTarget(name: "Run", dependencies: [
            "{{MODULE}}", .product(name: "BatchKitCommandLine", package: "BatchKit"),
        ]),
        // Unit tests of the steps' logic: `swift test`.
        .testTarget(name: "{{MODULE}}Tests", dependencies: ["{{MODULE}}", {{RUNTIME_PRODUCTS}}]),
    ],
    swiftLanguageModes: [.v6]
)

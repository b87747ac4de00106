import BatchKitRunner
import BatchKitCommandLine
import BatchKit
import Foundation

/// Creates a job: renders `Templates/common` and the chosen template into a
/// staging folder beside the target, vendors BatchKit, then moves the whole
/// folder into place with one rename — so a failure never leaves half a job,
/// and an existing folder is never touched.
public struct ProjectGenerator: Sendable {
    public let resources: Resources

    public init(resources: Resources) {
        self.resources = resources
    }

    /// Generates job `name` from `template` in `parent/name`.
    ///
    /// - Returns: The new job's folder.
    /// - Throws: ``GeneratorError``: `.targetExists` when the folder exists and
    ///   is not empty (nothing in it changes), `.usage` for an unknown
    ///   template, `.io` when writing fails.
    public func generate(name: ProjectName, template: String, in parent: URL) throws(GeneratorError) -> URL {
        let manager = FileManager.default
        let target = parent.appendingPathComponent(name.name)
        let templateFolder = resources.templates.appendingPathComponent(template)
        guard resources.templateNames().contains(template) else {
            throw GeneratorError(.usage, "unknown template \"\(template)\"; available: \(resources.templateNames().joined(separator: ", "))")
        }

        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: target.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw GeneratorError(.targetExists, "\(target.path) exists and is a file; nothing was changed. Choose another name or --path")
            }
            let contents = (try? manager.contentsOfDirectory(atPath: target.path)) ?? []
            guard contents.isEmpty else {
                throw GeneratorError(.targetExists, "\(target.path) already exists and is not empty; nothing was changed. Choose another name or --path, or remove the folder")
            }
        }

        let staging = parent.appendingPathComponent(".\(name.name).batchkit-new-\(getpid())")
        do {
            try manager.createDirectory(at: parent, withIntermediateDirectories: true)
            try? manager.removeItem(at: staging)
            try manager.createDirectory(at: staging, withIntermediateDirectories: true)
            let values = [
                "JOB_NAME": name.name, "MODULE": name.module, "BATCHKIT_VERSION": BatchKit.version,
                "RUNTIME_PRODUCTS": JobManifest.runtimeProducts(usesParallel: JobManifest.usesParallel(under: templateFolder)),
            ]
            try TemplateTree(source: resources.templates.appendingPathComponent("common"), values: values).render(into: staging)
            try TemplateTree(source: templateFolder, values: values).render(into: staging)
            try VendoredRuntime(projectDirectory: staging).install(from: resources, version: BatchKit.version)
            if manager.fileExists(atPath: target.path) { try manager.removeItem(at: target) }  // empty, checked above
            try manager.moveItem(at: staging, to: target)
        } catch let error as GeneratorError {
            try? manager.removeItem(at: staging)
            throw error
        } catch {
            try? manager.removeItem(at: staging)
            throw GeneratorError(.io, "cannot create \(target.path): \(ErrorDescription.of(error))")
        }
        return target
    }
}

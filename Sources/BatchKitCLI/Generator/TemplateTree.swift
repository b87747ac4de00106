import BatchKitRunner
import BatchKitCommandLine
import Foundation

/// Copies a folder of template files, filling in `{{NAME}}` placeholders in
/// file contents and `__NAME__` in paths, and keeping each file's permissions
/// (so `run.sh` stays executable). A file named `_gitignore` becomes
/// `.gitignore`: a real `.gitignore` inside `Templates/` would apply to the
/// batchkit repository itself.
struct TemplateTree {
    let source: URL
    let values: [String: String]

    /// Writes the rendered tree into `destination`, creating folders.
    func render(into destination: URL) throws {
        let manager = FileManager.default
        guard let enumerator = manager.enumerator(at: source, includingPropertiesForKeys: [.isDirectoryKey]) else {
            throw GeneratorError(.missingResources, "cannot read the template folder \(source.path)")
        }
        let root = source.standardizedFileURL.path
        for case let url as URL in enumerator {
            let relative = String(url.standardizedFileURL.path.dropFirst(root.count + 1))
            let target = destination.appendingPathComponent(renderPath(relative))
            if (try url.resourceValues(forKeys: [.isDirectoryKey])).isDirectory == true {
                try manager.createDirectory(at: target, withIntermediateDirectories: true)
                continue
            }
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            let data = try Data(contentsOf: url)
            if let text = String(data: data, encoding: .utf8) {
                try Data(fill(text).utf8).write(to: target)
            } else {
                try data.write(to: target)
            }
            let permissions = try manager.attributesOfItem(atPath: url.path)[.posixPermissions]
            if let permissions {
                try manager.setAttributes([.posixPermissions: permissions], ofItemAtPath: target.path)
            }
        }
    }

    /// `text` with each `{{NAME}}` of ``values`` replaced, in one pass over
    /// its bytes: a value is never searched again, so a step named
    /// `{{STEP_AFTER}}` keeps its name whatever order the keys come in.
    func fill(_ text: String) -> String {
        let open = Array("{{".utf8), close = Array("}}".utf8)
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index...].starts(with: open),
               let end = (index + 2..<bytes.count).first(where: { bytes[$0...].starts(with: close) }),
               let value = values[String(decoding: bytes[index + 2..<end], as: UTF8.self)] {
                out += value.utf8
                index = end + 2
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func renderPath(_ relative: String) -> String {
        var parts = relative.split(separator: "/").map(String.init)
        for index in parts.indices {
            for (key, value) in values { parts[index] = parts[index].replacingOccurrences(of: "__\(key)__", with: value) }
            if parts[index] == "_gitignore" { parts[index] = ".gitignore" }
        }
        return parts.joined(separator: "/")
    }
}

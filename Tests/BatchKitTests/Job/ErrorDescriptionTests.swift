import BatchKit
import Foundation
import Testing

@Suite struct ErrorDescriptionTests {
    @Test(arguments: [
        (CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: "/x/y", NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOTDIR))]), "a part of /x/y is a file, not a folder"),
        (CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: "/srv/logs"]), "permission denied for /srv/logs"),
        (CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/nope.csv"]), "/nope.csv does not exist"),
        (CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/data/out.csv"]), "no space left on the disk holding /data/out.csv"),
        (CocoaError(.fileWriteUnknown, userInfo: [:]), "a file operation on a file failed (code 512)"),
    ])
    func foundationFileErrorsReadAsWhatHappenedWhereAndWhatToDo(error: CocoaError, expected: String) {
        let text = ErrorDescription.of(error)
        #expect(text.hasPrefix(expected), "\(text)")
        #expect(!text.contains("NSCocoaErrorDomain") && !text.contains("The operation could not be completed"))
    }

    @Test func aFileInTheWayIsFoundWhenFoundationGivesNoCause() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("batchkit-error-\(getpid())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("plain")
        try Data().write(to: file)
        do {
            try FileManager.default.createDirectory(at: file.appendingPathComponent("logs"), withIntermediateDirectories: true)
            Issue.record("creating a folder inside a file succeeded")
        } catch {
            let text = ErrorDescription.of(error)
            #expect(text.contains("is a file, not a folder"), "\(text)")
            #expect(!text.contains("NSCocoaErrorDomain"))
        }
    }
}

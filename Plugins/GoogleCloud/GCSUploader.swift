import Crypto
import Foundation
import SluiceCore

/// Uploads one staged file with GCS's resumable protocol and checks the result: the session
/// and the confirmed byte count are kept in the file's record after every chunk, so an
/// interruption (or a restart) asks the session how far it got (`Content-Range: bytes */SIZE`)
/// and goes on from there; a session GCS forgot (404/410) starts over. The upload counts only
/// when the object's size and CRC-32C (or MD5) equal the staged file's.
struct GCSUploader: Sendable {
    let client: GCSClient
    /// Multiple of 256 KiB, as GCS requires for every chunk but the last.
    let chunkSize: Int
    let logger: Logger

    /// Uploads `file`; returns the verified object, throws `GCSError` / `PluginError`.
    func upload(_ file: GCSStagedFile) async throws -> GCSObject {
        let (size, crc, md5) = try digest(file.data)
        var record = file.current
        var offset: Int64 = 0
        if let session = record.session {
            switch try await client.query(session: session, total: size, name: record.object) {
            case .complete(let object):
                return try verify(object, size: size, crc: crc, md5: md5, file: file)
            case .incomplete(let received):
                logger.info("resuming the upload of \(file.data) to gs://\(client.bucket)/\(record.object) at byte \(received) of \(size)")
                offset = received
            case .gone:
                // Finished before the restart, then the session expired? The object says.
                if let object = try await client.object(record.object), object.size == size, object.crc32c == crc {
                    return object
                }
                logger.info("the upload session of \(record.object) is gone; starting it again")
                try file.update { $0.session = nil; $0.uploaded = 0 }
                record = file.current
            }
        }
        if record.session == nil {
            do {
                record = try await startSession(file, size: size, crc: crc)
            } catch let done as AlreadyUploaded {
                return done.object
            }
        }
        guard let session = record.session else { throw GCSError(message: "no upload session", retriable: true) }
        guard let handle = FileHandle(forReadingAtPath: file.data) else {
            throw PluginError("cannot read the staged file \(file.data)", retriable: false, code: .io)
        }
        defer { try? handle.close() }
        while true {
            try handle.seek(toOffset: UInt64(offset))
            let chunk = Array(try handle.read(upToCount: chunkSize) ?? Data())
            switch try await client.put(session: session, chunk: chunk, offset: offset, total: size, name: record.object) {
            case .complete(let object):
                return try verify(object, size: size, crc: crc, md5: md5, file: file)
            case .incomplete(let received):
                guard received > offset || !chunk.isEmpty else {
                    throw GCSError(message: "gs://\(client.bucket)/\(record.object): GCS accepted none of the chunk at \(offset)", retriable: true)
                }
                offset = received
                try file.update { $0.uploaded = received }
            case .gone:
                try file.update { $0.session = nil; $0.uploaded = 0 }
                throw GCSError(message: "the upload session of gs://\(client.bucket)/\(record.object) expired; it starts again", retriable: true)
            }
        }
    }

    /// A new session, kept in the record before any byte is sent. An object of that name that
    /// exists already is this file when it matches (uploaded, then the process died before
    /// deleting it); otherwise the file gets a new name, so nothing is overwritten.
    private func startSession(_ file: GCSStagedFile, size: Int64, crc: String) async throws -> GCSStagedRecord {
        var record = file.current
        while true {
            do {
                let session = try await client.startUpload(name: record.object, size: size, contentType: record.contentType,
                                                           contentEncoding: record.contentEncoding)
                try file.update { $0.session = session; $0.uploaded = 0; $0.object = record.object }
                return file.current
            } catch let e as GCSError where !e.retriable && e.message.hasSuffix("already exists") {
                if let object = try await client.object(record.object), object.size == size, object.crc32c == crc {
                    try file.update { $0.session = nil }
                    throw AlreadyUploaded(object: object)
                }
                let renamed = Self.renamed(record.object)
                logger.warning("gs://\(client.bucket)/\(record.object) exists with other content; uploading as \(renamed)")
                record.object = renamed
            }
        }
    }

    /// Thrown by `startSession` when the object is already this file.
    struct AlreadyUploaded: Error { let object: GCSObject }

    static func renamed(_ name: String) -> String {
        let tag = "." + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        guard let dot = name.range(of: ".log") else { return name + tag }
        return String(name[..<dot.lowerBound]) + tag + String(name[dot.lowerBound...])
    }

    private func verify(_ object: GCSObject, size: Int64, crc: String, md5: String, file: GCSStagedFile) throws -> GCSObject {
        let checksumOK = object.crc32c.map { $0 == crc } ?? object.md5Hash.map { $0 == md5 } ?? false
        guard object.size == size, checksumOK else {
            // The object is not what was staged: upload again under a new name, keep this one for an operator.
            try file.update { $0.session = nil; $0.uploaded = 0; $0.object = Self.renamed($0.object) }
            throw GCSError(message: "gs://\(client.bucket)/\(object.name) differs from \(file.data) (size \(object.size) vs \(size), crc32c \(object.crc32c ?? "-") vs \(crc)); uploading it again",
                           retriable: true)
        }
        return object
    }

    /// Size, CRC-32C and MD5 of a file, both base64 as GCS reports them.
    private func digest(_ path: String) throws -> (Int64, String, String) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw PluginError("cannot read the staged file \(path)", retriable: false, code: .io)
        }
        defer { try? handle.close() }
        var crc: UInt32 = 0
        var md5 = Insecure.MD5()
        var size: Int64 = 0
        while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty {
            data.withUnsafeBytes { crc = CRC32C.checksum($0, seed: crc) }
            md5.update(data: data)
            size += Int64(data.count)
        }
        let be = [UInt8(crc >> 24), UInt8((crc >> 16) & 0xff), UInt8((crc >> 8) & 0xff), UInt8(crc & 0xff)]
        return (size, Data(be).base64EncodedString(), Data(md5.finalize()).base64EncodedString())
    }
}

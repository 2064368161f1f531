import Foundation
import SluiceCore
import SluiceHTTP

/// What GCS says about an object: enough to check an upload (JSON API "Objects" resource).
struct GCSObject: Sendable, Equatable {
    let name: String
    let size: Int64
    /// Base64 of the big-endian CRC-32C, as GCS reports it.
    let crc32c: String?
    let md5Hash: String?

    init?(json body: [UInt8]) {
        guard let o = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              let name = o["name"] as? String else { return nil }
        self.name = name
        size = Int64((o["size"] as? String) ?? "") ?? (o["size"] as? NSNumber)?.int64Value ?? -1
        crc32c = o["crc32c"] as? String
        md5Hash = o["md5Hash"] as? String
    }
}

/// Where a resumable upload stands, after a chunk or a status query.
enum GCSUploadState: Equatable {
    /// The object exists: the upload is finished.
    case complete(GCSObject)
    /// GCS has the first `received` bytes.
    case incomplete(received: Int64)
    /// The session expired or is unknown (404/410), or refused the byte range (400): start a new one.
    case gone
}

/// A failed GCS request: a message without credentials, and whether a retry can help.
struct GCSError: Error, CustomStringConvertible {
    let message: String
    let retriable: Bool
    var description: String { message }
}

/// The JSON API calls the GCS output needs: resumable uploads ("Perform resumable uploads":
/// initiate with `uploadType=resumable`, PUT chunks with `Content-Range`, 308 + `Range` while
/// incomplete, query with `Content-Range: bytes */SIZE`, 404/410 for a dead session), and
/// listing names under a prefix.
struct GCSClient: Sendable {
    let service: GoogleService
    let http: HTTPClient
    let bucket: String

    /// Starts a resumable upload of `size` bytes and returns its session URI. `ifGenerationMatch=0`
    /// makes GCS refuse (412) to replace an object that exists.
    func startUpload(name: String, size: Int64, contentType: String, contentEncoding: String?) async throws -> String {
        var metadata: [String: Any] = ["name": name, "contentType": contentType]
        if let contentEncoding { metadata["contentEncoding"] = contentEncoding }
        let url = "\(service.baseURL)/upload/storage/v1/b/\(bucket.pathEncoded)/o?uploadType=resumable&ifGenerationMatch=0&name=\(name.formEncoded)"
        let body = try JSONSerialization.data(withJSONObject: metadata)
        let request = HTTPRequest(method: .post, url: url,
                                  headers: ["Content-Type": "application/json; charset=UTF-8",
                                            "X-Upload-Content-Type": contentType, "X-Upload-Content-Length": "\(size)"],
                                  body: Array(body))
        let response = try await send(request, "starting the upload of \(name)")
        if response.status == 412 {
            throw GCSError(message: "gs://\(bucket)/\(name) already exists", retriable: false)
        }
        guard (200..<300).contains(response.status), let location = response.headers["Location"] else {
            throw failure(response, "starting the upload of \(name)")
        }
        return location
    }

    /// Sends `chunk` as the bytes from `offset` of an upload of `total` bytes.
    func put(session: String, chunk: [UInt8], offset: Int64, total: Int64, name: String) async throws -> GCSUploadState {
        let range = chunk.isEmpty ? "bytes */\(total)" : "bytes \(offset)-\(offset + Int64(chunk.count) - 1)/\(total)"
        let request = HTTPRequest(method: .put, url: session, headers: ["Content-Range": range], body: chunk)
        return try state(try await send(request, "uploading \(name)"), name: name)
    }

    /// Asks how much of an interrupted upload GCS has.
    func query(session: String, total: Int64, name: String) async throws -> GCSUploadState {
        try await put(session: session, chunk: [], offset: 0, total: total, name: name)
    }

    /// The object's metadata, nil when it does not exist.
    func object(_ name: String) async throws -> GCSObject? {
        let url = "\(service.baseURL)/storage/v1/b/\(bucket.pathEncoded)/o/\(name.pathEncoded)"
        let response = try await send(HTTPRequest(method: .get, url: url), "reading the metadata of \(name)")
        if response.status == 404 { return nil }
        guard response.status == 200, let object = GCSObject(json: response.body) else { throw failure(response, "reading the metadata of \(name)") }
        return object
    }

    /// Names of the objects whose name starts with `prefix` (all pages).
    func names(prefix: String) async throws -> [String] {
        var names: [String] = []
        var pageToken: String?
        repeat {
            var url = "\(service.baseURL)/storage/v1/b/\(bucket.pathEncoded)/o?prefix=\(prefix.formEncoded)"
            if let pageToken { url += "&pageToken=\(pageToken.formEncoded)" }
            let response = try await send(HTTPRequest(method: .get, url: url), "listing gs://\(bucket)/\(prefix)*")
            guard response.status == 200,
                  let o = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] else {
                throw failure(response, "listing gs://\(bucket)/\(prefix)*")
            }
            for item in (o["items"] as? [[String: Any]]) ?? [] { if let n = item["name"] as? String { names.append(n) } }
            pageToken = o["nextPageToken"] as? String
        } while pageToken != nil
        return names
    }

    /// Checks the bucket exists and the credentials may use it.
    func checkBucket() async throws {
        let url = "\(service.baseURL)/storage/v1/b/\(bucket.pathEncoded)"
        let response = try await send(HTTPRequest(method: .get, url: url), "reading bucket \(bucket)")
        guard response.status == 200 else { throw failure(response, "reading bucket \(bucket)") }
    }

    private func state(_ response: HTTPResponse, name: String) throws -> GCSUploadState {
        switch response.status {
        case 200, 201:
            guard let object = GCSObject(json: response.body) else {
                throw GCSError(message: "GCS finished the upload of \(name) with an unreadable object resource", retriable: true)
            }
            return .complete(object)
        case 308:
            // `Range: bytes=0-N` means N+1 bytes received; no Range, none.
            guard let range = response.headers["Range"], let dash = range.lastIndex(of: "-"),
                  let last = Int64(range[range.index(after: dash)...]) else { return .incomplete(received: 0) }
            return .incomplete(received: last + 1)
        case 404, 410:
            return .gone
        case 400:
            // The session and the client disagree on the byte count (gcp-storage-emulator, asked
            // about an upload that has no byte yet, answers `Range: bytes=0-0`): start over.
            return .gone
        default:
            throw failure(response, "uploading \(name)")
        }
    }

    private func send(_ request: HTTPRequest, _ what: String) async throws -> HTTPResponse {
        do {
            return try await service.execute(request, with: http)
        } catch let error as HTTPClientError {
            throw GCSError(message: "\(what) in gs://\(bucket): \(error)", retriable: error.isRetriable)
        }
    }

    private func failure(_ response: HTTPResponse, _ what: String) -> GCSError {
        let o = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
        let message = ((o?["error"] as? [String: Any])?["message"] as? String).map { ": \($0)" } ?? ""
        let retriable = response.status == 408 || response.status == 429 || response.status >= 500
        return GCSError(message: "\(what) in gs://\(bucket): HTTP \(response.status)\(message)", retriable: retriable)
    }
}

extension String {
    /// One URL path segment: everything but unreserved characters escaped (`/` too, as GCS
    /// object names in the JSON API's path need).
    var pathEncoded: String { formEncoded }
}

import Foundation
import SluiceCore
import SluiceTesting
@testable import GoogleCloudPlugins

/// Helpers of the Google Cloud tests (a namespace: other test files share this target).
enum GoogleTest {
    /// Runs a program and fails with its stderr unless it exits 0; returns its stdout.
    @discardableResult
    static func run(_ exe: String, _ args: [String]) throws -> String {
        let r = try runProcess(exe, args)
        guard r.status == 0 else { throw Failure("\(exe) \(args.prefix(3).joined(separator: " ")) exited \(r.status): \(r.stderr)") }
        return r.output
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    static func temporaryDirectory(_ tag: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-\(tag)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static func curlJSON(_ method: String, _ url: String, _ body: Any? = nil) throws -> Any {
        var args = ["-sS", "--fail", "--noproxy", "*", "--max-time", "20", "-X", method]
        if let body {
            args += ["-H", "Content-Type: application/json",
                     "--data-binary", String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)]
        }
        let out = try GoogleTest.run("/usr/bin/curl", args + [url])
        return try JSONSerialization.jsonObject(with: Data(out.utf8), options: [.fragmentsAllowed])
    }
}

/// A throwaway service-account key pair made with the `openssl` command: the private key as
/// PEM (what a JSON key file holds) and the public key the token fixture checks signatures with.
struct TestKeyPair {
    let dir: String
    let email: String
    let privatePEM: String
    let publicPEM: String

    init(email: String = "sluice-test@project.iam.gserviceaccount.com") throws {
        dir = try GoogleTest.temporaryDirectory("gkey")
        self.email = email
        try GoogleTest.run("/usr/bin/openssl", ["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", dir + "/key.pem"])
        try GoogleTest.run("/usr/bin/openssl", ["pkey", "-in", dir + "/key.pem", "-pubout", "-out", dir + "/pub.pem"])
        privatePEM = try String(contentsOfFile: dir + "/key.pem", encoding: .utf8)
        publicPEM = try String(contentsOfFile: dir + "/pub.pem", encoding: .utf8)
    }

    /// A JSON key file as Google's console downloads it; returns its path.
    func jsonKeyFile(tokenURI: String) throws -> String {
        let key: [String: Any] = ["type": "service_account", "project_id": "sluice-test", "private_key_id": "kid-1",
                                  "private_key": privatePEM, "client_email": email, "client_id": "1",
                                  "token_uri": tokenURI]
        let path = dir + "/key.json"
        try JSONSerialization.data(withJSONObject: key).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A `.p12` with `password`; `legacy` uses RC2/3DES as Google's own `.p12` keys do.
    func p12File(password: String, legacy: Bool) throws -> String {
        let path = dir + (legacy ? "/legacy.p12" : "/key.p12")
        try GoogleTest.run("/usr/bin/openssl", ["req", "-new", "-x509", "-key", dir + "/key.pem", "-subj", "/CN=\(email)", "-days", "1",
                                     "-out", dir + "/cert.pem"])
        try GoogleTest.run("/usr/bin/openssl", ["pkcs12", "-export", "-inkey", dir + "/key.pem", "-in", dir + "/cert.pem",
                                     "-passout", "pass:\(password)", "-out", path] + (legacy ? ["-legacy"] : []))
        return path
    }
}

/// The token fixture (Tests/Fixtures/google_token_fixture.py), driven with curl.
struct TokenFixture {
    let url: String
    init() throws { url = try TestServices.url("google_token") }
    var tokenURI: String { url + "/token" }

    func register(_ key: TestKeyPair, expiresIn: Int = 3600, rejectAPI: Bool = false) throws {
        _ = try GoogleTest.curlJSON("POST", url + "/_control/account",
                         ["email": key.email, "public_key_pem": key.publicPEM, "expires_in": expiresIn, "reject_api": rejectAPI])
    }

    func revoke(_ email: String) throws { _ = try GoogleTest.curlJSON("POST", url + "/_control/revoke", ["email": email]) }

    func log(_ email: String) throws -> [[String: Any]] {
        ((try GoogleTest.curlJSON("GET", url + "/_control/log")) as? [[String: Any]] ?? []).filter { $0["email"] as? String == email }
    }
}

/// The GCS emulator and its fault proxy (Tests/Fixtures/gcs_fixture.py); objects are read
/// back over the JSON API by Python (urllib), independent of Sluice.
struct GCSFixture {
    let emulator: String
    let faulty: String
    let bucket = "sluice-\(UInt32.random(in: 0...UInt32.max))"

    init() throws {
        emulator = try TestServices.url("gcs")
        faulty = try TestServices.url("gcs_faulty")
        _ = try GoogleTest.curlJSON("POST", emulator + "/storage/v1/b?project=sluice-test", ["name": bucket])
        _ = try GoogleTest.curlJSON("POST", faulty + "/_reset", [String: Any]())
    }

    func fault(_ mode: String, nth: Int, times: Int = 1) throws {
        _ = try GoogleTest.curlJSON("POST", faulty + "/_fault", ["mode": mode, "nth": nth, "times": times])
    }

    /// Requests the proxy saw since the reset.
    func proxyLog() throws -> [[String: Any]] { (try GoogleTest.curlJSON("GET", faulty + "/_log")) as? [[String: Any]] ?? [] }

    struct Object {
        let name: String
        let size: Int
        let contentEncoding: String?
        /// The content's lines, gunzipped when the bytes are gzip.
        let lines: [String]
        let gzipped: Bool
    }

    func objects() throws -> [Object] {
        let script = """
            import gzip, json, sys, urllib.parse, urllib.request
            base, bucket = sys.argv[1], sys.argv[2]
            listing = json.load(urllib.request.urlopen(f"{base}/storage/v1/b/{bucket}/o"))
            out = []
            for item in listing.get("items", []):
                q = urllib.parse.quote(item["name"], safe="")
                data = urllib.request.urlopen(f"{base}/storage/v1/b/{bucket}/o/{q}?alt=media").read()
                gz = data[:2] == b"\\x1f\\x8b"
                if gz:
                    data = gzip.decompress(data)
                out.append({"name": item["name"], "size": int(item["size"]), "encoding": item.get("contentEncoding"),
                            "gzipped": gz, "lines": data.decode("utf-8").splitlines()})
            print(json.dumps(out))
            """
        let out = try GoogleTest.run(try TestServices.path("python"), ["-c", script, emulator, bucket])
        let items = (try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [[String: Any]]) ?? []
        return items.map {
            Object(name: $0["name"] as? String ?? "", size: $0["size"] as? Int ?? -1, contentEncoding: $0["encoding"] as? String,
                   lines: $0["lines"] as? [String] ?? [], gzipped: $0["gzipped"] as? Bool ?? false)
        }
    }
}

extension GoogleTest {
    /// The 1,000 sample tweets (samples/tweets/v11.jsonl) as events, and their ids.
    static func sampleTweets() throws -> (events: [Event], ids: [String]) {
        var dir = URL(fileURLWithPath: #filePath)
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("samples/tweets/v11.jsonl").path) {
            dir = dir.deletingLastPathComponent()
        }
        let text = try String(contentsOfFile: dir.appendingPathComponent("samples/tweets/v11.jsonl").path, encoding: .utf8)
        var events: [Event] = []
        var ids: [String] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            guard let object = try JSON.decode(String(line)).objectValue, let id = object["id_str"]?.stringValue else {
                throw Failure("a sample tweet without id_str")
            }
            ids.append(id)
            events.append(Event(fields: object))
        }
        return (events, ids)
    }
}

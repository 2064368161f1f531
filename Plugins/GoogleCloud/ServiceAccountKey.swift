import COpenSSL
import Foundation
import SluiceCore
import _CryptoExtras

/// A service account's identity and private key, read from Google's JSON key file or from the
/// older PKCS#12 (`.p12`) key that Logstash's `key_path` took. Errors name the file, never
/// what is in it.
struct ServiceAccountKey: Sendable {
    let email: String
    let privateKey: _RSA.Signing.PrivateKey
    /// Where the signed JWT is exchanged for an access token.
    let tokenURI: String
    /// The JSON key's `private_key_id`, sent as the JWT's `kid`.
    let keyID: String?
    /// The file the key came from: what errors name.
    let file: String

    static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// Reads a JSON service-account key (`type`, `client_email`, `private_key`, `token_uri`).
    static func json(file: String) throws -> ServiceAccountKey {
        guard let bytes = FileIO.readFile(file) else {
            throw PluginError("cannot read the service-account key file \(file)", retriable: false, code: .authentication)
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw PluginError("the service-account key file \(file) is not JSON", retriable: false, code: .authentication)
        }
        if let type = object["type"] as? String, type != "service_account" {
            throw PluginError("the key file \(file) is of type \(type); a service-account key (\"type\": \"service_account\") is needed",
                              retriable: false, code: .authentication)
        }
        guard let email = object["client_email"] as? String, let pem = object["private_key"] as? String else {
            throw PluginError("the service-account key file \(file) lacks client_email or private_key",
                              retriable: false, code: .authentication)
        }
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: pem)
        } catch {
            throw PluginError("the private key in \(file) is not an RSA key in PEM", retriable: false, code: .authentication)
        }
        let uri = (object["token_uri"] as? String).flatMap { $0.isEmpty ? nil : $0 } ?? defaultTokenURI
        return ServiceAccountKey(email: email, privateKey: key, tokenURI: uri, keyID: object["private_key_id"] as? String, file: file)
    }

    /// Reads a PKCS#12 key with its password (Google's default is `notasecret`); the e-mail comes
    /// from `service_account`, as the `.p12` file does not carry it.
    static func pkcs12(file: String, password: String, email: String, tokenURI: String = defaultTokenURI) throws -> ServiceAccountKey {
        guard let bytes = FileIO.readFile(file) else {
            throw PluginError("cannot read the service-account key file \(file)", retriable: false, code: .authentication)
        }
        var pem: UnsafeMutablePointer<CChar>?
        var length = 0
        let rc = bytes.withUnsafeBufferPointer { buffer in
            sluice_pkcs12_private_key_pem(buffer.baseAddress, Int32(buffer.count), password, &pem, &length)
        }
        defer { free(pem) }
        switch rc {
        case 0: break
        case 1: throw PluginError("the key file \(file) is not PKCS#12 (.p12)", retriable: false, code: .authentication)
        case 2: throw PluginError("cannot decrypt the key file \(file): wrong key_password?", retriable: false, code: .authentication)
        case 3: throw PluginError("the key file \(file) holds no private key", retriable: false, code: .authentication)
        default: throw PluginError("cannot read the private key of \(file)", retriable: false, code: .authentication)
        }
        guard let pem else { throw PluginError("cannot read the private key of \(file)", retriable: false, code: .authentication) }
        let text = String(decoding: UnsafeRawBufferPointer(start: pem, count: length), as: UTF8.self)
        let key: _RSA.Signing.PrivateKey
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw PluginError("the private key in \(file) is not an RSA key", retriable: false, code: .authentication)
        }
        return ServiceAccountKey(email: email, privateKey: key, tokenURI: tokenURI, keyID: nil, file: file)
    }

    /// The signed JWT (RS256, PKCS#1 v1.5 with SHA-256) that `tokenURI` exchanges for an access
    /// token, valid for an hour from `now` (RFC 7523; Google's "Using OAuth 2.0 for server to
    /// server applications", "Creating a JWT").
    func assertion(scope: String, now: Int64) throws -> String {
        var header: [String: String] = ["alg": "RS256", "typ": "JWT"]
        if let keyID { header["kid"] = keyID }
        let claims: [String: Any] = ["iss": email, "scope": scope, "aud": tokenURI, "iat": now, "exp": now + 3600]
        let headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let claimsData = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
        let signingInput = Self.base64URL(headerData) + "." + Self.base64URL(claimsData)
        let signature: _RSA.Signing.RSASignature
        do {
            signature = try privateKey.signature(for: Data(signingInput.utf8), padding: .insecurePKCS1v1_5)
        } catch {
            throw PluginError("cannot sign with the key in \(file)", retriable: false, code: .authentication)
        }
        return signingInput + "." + Self.base64URL(signature.rawRepresentation)
    }

    static func base64URL(_ data: Data) -> String {
        var s = data.base64EncodedString()
        s = s.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while s.hasSuffix("=") { s.removeLast() }
        return s
    }
}

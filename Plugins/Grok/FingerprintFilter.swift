import Crypto
import SluiceCore

/// Logstash's `fingerprint` filter: a consistent hash of one or more fields, typically used
/// as an idempotent document id.
///
/// Output matches Logstash byte for byte, because ids written by Logstash and by Sluice must
/// collide: values are serialized as Logstash's Ruby code does (`RubyText`), `MURMUR3` stores
/// the unsigned 32-bit hash as an integer, `MURMUR3_128` uses the seed 2 Logstash passes.
///
/// Deviations: an `IPV4_NETWORK` value that is not an IPv4 address, or a non-string value
/// under `PUNCTUATION`, raises an error in Logstash that stops the pipeline; Sluice logs a
/// warning (and, for `PUNCTUATION`, strips the value's text). `IPV4_NETWORK` needs a `key`
/// of 0 to 32 at start-up rather than reading anything as a number.
public final class FingerprintFilter: FilterPlugin {
    public static let pluginName = "fingerprint"
    public static let summary = "Computes consistent hashes (fingerprints) of fields, e.g. for idempotent document ids."
    static let methods = ["SHA1", "SHA256", "SHA384", "SHA512", "MD5", "MURMUR3", "MURMUR3_128",
                          "IPV4_NETWORK", "UUID", "PUNCTUATION"]
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("source", .array, default: ["message"],
                    doc: "Fields whose values are fingerprinted; with several and no `concatenate_sources`, the last present one wins."),
        SettingSpec("target", .fieldReference,
                    doc: "Field that receives the fingerprint (overwritten). Default `fingerprint`, or `[event][hash]` when `ecs_compatibility` is `v1`/`v8`."),
        SettingSpec("method", .oneOf(methods), default: "SHA1",
                    doc: "Hash function; `UUID` sets a random UUID, `PUNCTUATION` keeps only punctuation, `IPV4_NETWORK` masks an address to `key` bits."),
        SettingSpec("key", .password,
                    doc: "HMAC key for the SHA and MD5 methods (plain digest when unset); the prefix length for `IPV4_NETWORK`."),
        SettingSpec("base64encode", .boolean, default: false,
                    doc: "Base64 instead of hex output for the SHA, MD5 and `MURMUR3_128` methods."),
        SettingSpec("concatenate_sources", .boolean, default: false,
                    doc: "Hash one string `|field|value|...|` built from all `source` fields, sorted by name."),
        SettingSpec("concatenate_all_fields", .boolean, default: false,
                    doc: "Hash one string built from every field of the event (except `@metadata`), sorted by name."),
        SettingSpec("ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: "disabled",
                    doc: "`v1`/`v8` change the default `target` to `[event][hash]`."),
    ]

    private enum Method {
        case digest(FingerprintDigest)
        case murmur3
        case murmur3x128
        case ipv4Network(prefix: Int)
        case uuid
        case punctuation
    }

    private let id: String
    private let logger: Logger
    private let method: Method
    private let sources: [(text: String, ref: FieldReference)]
    private let sortedSources: [(text: String, ref: FieldReference)]
    private let target: FieldReference
    private let key: SymmetricKey?
    private let base64: Bool
    private let concatenateSources: Bool
    private let concatenateAll: Bool

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        base64 = settings.bool("base64encode") ?? false
        concatenateSources = try settings.declaredBool("concatenate_sources")
        concatenateAll = try settings.declaredBool("concatenate_all_fields")
        let keyText = settings.string("key")
        key = keyText.map { SymmetricKey(data: Array($0.utf8)) }

        let ecs = try settings.declaredString("ecs_compatibility")
        let targetText = settings.string("target") ?? (ecs == "disabled" ? "fingerprint" : "[event][hash]")
        target = try ExtractSettings.field(targetText, setting: "target", in: settings)
        sources = try settings.strings("source").map { s throws(ConfigError) in
            (s, try ExtractSettings.field(s, setting: "source", in: settings))
        }
        // Ruby's `Array#sort` on strings: bytewise.
        sortedSources = sources.sorted { $0.text.utf8.lexicographicallyPrecedes($1.text.utf8) }

        switch try settings.declaredString("method") {
        case "SHA1": method = .digest(.sha1)
        case "SHA256": method = .digest(.sha256)
        case "SHA384": method = .digest(.sha384)
        case "SHA512": method = .digest(.sha512)
        case "MD5": method = .digest(.md5)
        case "MURMUR3": method = .murmur3
        case "MURMUR3_128": method = .murmur3x128
        case "UUID": method = .uuid
        case "PUNCTUATION": method = .punctuation
        case "IPV4_NETWORK":
            guard let keyText else {
                throw settings.error("key", "is required with `method => IPV4_NETWORK`: the prefix length to keep (0 to 32)")
            }
            guard let prefix = Int(keyText), (0...32).contains(prefix) else {
                throw settings.error("key", "with `method => IPV4_NETWORK` must be a prefix length from 0 to 32")
            }
            method = .ipv4Network(prefix: prefix)
        case let other:
            throw settings.error("method", "unknown method `\(other)`")
        }
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        switch method {
        case .uuid:
            event.set(target, .string(Self.randomUUID()))
        case .punctuation:
            for (_, ref) in sortedSources {
                guard let v = event[ref] else { continue }
                if v.stringValue == nil { logger.warning("fingerprint \(id): `PUNCTUATION` of a \(v.typeName); using its text") }
                event.set(target, .string(Self.punctuation(v.renderedString)))
            }
        default:
            if concatenateSources || concatenateAll {
                if let print = fingerprint(bytes: concatenation(event)) { event.set(target, print) }
                return .matched
            }
            for (_, ref) in sources {
                guard let v = event[ref] else { continue }
                let print: Value?
                if case .array(let elements) = v {
                    let prints = elements.map(fingerprint(value:))
                    print = prints.contains(where: { $0 == nil }) ? nil : .array(prints.compactMap { $0 })
                } else {
                    print = fingerprint(value: v)
                }
                if let print { event.set(target, print) }
            }
        }
        return .matched
    }

    /// `|name|value|name|value|`, as the Logstash plugin builds it before hashing.
    private func concatenation(_ event: Event) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        let bar = UInt8(ascii: "|")
        if concatenateAll {
            for e in RubyText.sortedEntries(event.fields) where e.key != Event.metadataKey {
                out.append(bar)
                out.append(contentsOf: e.key.utf8)
                out.append(bar)
                RubyText.toS(e.value, into: &out)
            }
        } else {
            for (text, ref) in sortedSources {
                out.append(bar)
                out.append(contentsOf: text.utf8)
                out.append(bar)
                if let v = event[ref] { RubyText.toS(v, into: &out) }
            }
        }
        out.append(bar)
        return out
    }

    /// One value's fingerprint; integers hash their binary form under the Murmur methods, as in Logstash.
    private func fingerprint(value v: Value) -> Value? {
        switch (method, v) {
        case (.murmur3, .int(let i)):
            return .int(Int64(Murmur3.hash32(Murmur3.littleEndian(i))))
        case (.murmur3x128, .int(let i)):
            let bytes = Int64(Int32.min)...Int64(Int32.max) ~= i
                ? Murmur3.littleEndian(Int32(i)) : Murmur3.littleEndian(i)
            return encode(Murmur3.digest128(bytes, seed: Self.murmur128Seed))
        default:
            return fingerprint(bytes: RubyText.toS(v))
        }
    }

    private func fingerprint(bytes: [UInt8]) -> Value? {
        switch method {
        case .digest(let d): return encode(d.hash(bytes, key: key))
        case .murmur3: return .int(Int64(Murmur3.hash32(bytes)))
        case .murmur3x128: return encode(Murmur3.digest128(bytes, seed: Self.murmur128Seed))
        case .ipv4Network(let prefix):
            let text = String(decoding: bytes, as: UTF8.self)
            guard let masked = Self.maskIPv4(text, prefix: prefix) else {
                logger.warning("fingerprint \(id): `\(text)` is not an IPv4 address; target not set")
                return nil
            }
            return .string(masked)
        case .uuid, .punctuation: return nil  // handled in `filter`
        }
    }

    private func encode(_ digest: [UInt8]) -> Value {
        .string(base64 ? ByteText.base64(digest) : ByteText.hex(digest))
    }

    /// Logstash passes 2 as the seed of the 128-bit Murmur hash.
    private static let murmur128Seed: UInt64 = 2

    // MARK: methods without a hash

    /// A random (version 4) UUID in lowercase.
    static func randomUUID() -> String {
        var g = SystemRandomNumberGenerator()
        var b = (0..<16).map { _ in UInt8.random(in: 0...255, using: &g) }
        b[6] = b[6] & 0x0F | 0x40
        b[8] = b[8] & 0x3F | 0x80
        let hex = Array(ByteText.hex(b).utf8)
        var out: [UInt8] = []
        for (i, c) in hex.enumerated() {
            if i == 8 || i == 12 || i == 16 || i == 20 { out.append(UInt8(ascii: "-")) }
            out.append(c)
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Keeps Unicode punctuation (P*) and symbols (S*), Logstash's `gsub(/[^[\p{P}\p{S}]]/, '')`.
    static func punctuation(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            switch u.properties.generalCategory {
            case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                 .initialPunctuation, .finalPunctuation, .otherPunctuation,
                 .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
                out.append(u)
            default:
                break
            }
        }
        return String(out)
    }

    /// `IPAddr.new(text).mask(prefix).to_s` for IPv4 text; nil when `text` is not an address.
    static func maskIPv4(_ text: String, prefix: Int) -> String? {
        let parts = text.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var address: UInt32 = 0
        for p in parts {
            // Ruby's IPAddr rejects zero-padded octets as ambiguous.
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  p.count == 1 || p.first != UInt8(ascii: "0"),
                  let octet = UInt32(String(decoding: p, as: UTF8.self)), octet <= 255 else { return nil }
            address = address << 8 | octet
        }
        let mask: UInt32 = prefix == 0 ? 0 : ~UInt32(0) << UInt32(32 - prefix)
        let masked = address & mask
        return (0..<4).map { String(masked >> UInt32(24 - 8 * $0) & 0xFF) }.joined(separator: ".")
    }
}

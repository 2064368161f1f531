import Crypto

// The hash functions behind the `fingerprint` filter, written to reproduce Logstash's bytes:
// OpenSSL digests and HMACs through swift-crypto, and MurmurHash3 as the `murmurhash3` gem
// (which Logstash uses) computes it.

/// The cryptographic digests the fingerprint filter offers.
enum FingerprintDigest: Sendable {
    case sha1, sha256, sha384, sha512, md5

    /// The plain digest of `data`, or its HMAC when a key is given.
    func hash(_ data: [UInt8], key: SymmetricKey?) -> [UInt8] {
        switch self {
        case .sha1: return Self.run(Insecure.SHA1.self, data, key)
        case .sha256: return Self.run(SHA256.self, data, key)
        case .sha384: return Self.run(SHA384.self, data, key)
        case .sha512: return Self.run(SHA512.self, data, key)
        case .md5: return Self.run(Insecure.MD5.self, data, key)
        }
    }

    private static func run<H: HashFunction>(_: H.Type, _ data: [UInt8], _ key: SymmetricKey?) -> [UInt8] {
        if let key { return Array(HMAC<H>.authenticationCode(for: data, using: key)) }
        return Array(H.hash(data: data))
    }
}

/// MurmurHash3 (Austin Appleby's public-domain reference), little-endian blocks.
enum Murmur3 {
    /// MurmurHash3_x86_32.
    static func hash32(_ data: [UInt8], seed: UInt32 = 0) -> UInt32 {
        let c1: UInt32 = 0xcc9e_2d51, c2: UInt32 = 0x1b87_3593
        var h = seed
        let blocks = data.count / 4
        for b in 0..<blocks {
            var k = read32(data, b * 4)
            k &*= c1; k = rotl(k, 15); k &*= c2
            h ^= k; h = rotl(h, 13); h = h &* 5 &+ 0xe654_6b64
        }
        let tail = blocks * 4
        var k: UInt32 = 0
        let rest = data.count & 3
        if rest >= 3 { k ^= UInt32(data[tail + 2]) << 16 }
        if rest >= 2 { k ^= UInt32(data[tail + 1]) << 8 }
        if rest >= 1 {
            k ^= UInt32(data[tail])
            k &*= c1; k = rotl(k, 15); k &*= c2; h ^= k
        }
        h ^= UInt32(truncatingIfNeeded: data.count)
        return fmix32(h)
    }

    /// MurmurHash3_x64_128: the two 64-bit halves; the digest is h1 then h2, each little-endian.
    static func hash128(_ data: [UInt8], seed: UInt64 = 0) -> (UInt64, UInt64) {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5, c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1 = seed, h2 = seed
        let blocks = data.count / 16
        for b in 0..<blocks {
            var k1 = read64(data, b * 16), k2 = read64(data, b * 16 + 8)
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
            h1 = rotl(h1, 27); h1 &+= h2; h1 = h1 &* 5 &+ 0x52dc_e729
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
            h2 = rotl(h2, 31); h2 &+= h1; h2 = h2 &* 5 &+ 0x3849_5ab5
        }
        let tail = blocks * 16
        let rest = data.count & 15
        var k1: UInt64 = 0, k2: UInt64 = 0
        if rest > 8 {
            for i in stride(from: rest - 1, through: 8, by: -1) { k2 = k2 << 8 | UInt64(data[tail + i]) }
            k2 &*= c2; k2 = rotl(k2, 33); k2 &*= c1; h2 ^= k2
        }
        if rest > 0 {
            for i in stride(from: min(rest, 8) - 1, through: 0, by: -1) { k1 = k1 << 8 | UInt64(data[tail + i]) }
            k1 &*= c1; k1 = rotl(k1, 31); k1 &*= c2; h1 ^= k1
        }
        h1 ^= UInt64(data.count); h2 ^= UInt64(data.count)
        h1 &+= h2; h2 &+= h1
        h1 = fmix64(h1); h2 = fmix64(h2)
        h1 &+= h2; h2 &+= h1
        return (h1, h2)
    }

    /// The 16 digest bytes of `hash128`, as the gem's `str_digest` returns them.
    static func digest128(_ data: [UInt8], seed: UInt64) -> [UInt8] {
        let (h1, h2) = hash128(data, seed: seed)
        var out: [UInt8] = []
        out.reserveCapacity(16)
        for h in [h1, h2] {
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: h >> (8 * UInt64(i)))) }
        }
        return out
    }

    /// Little-endian bytes of an integer, as the gem's `int32_hash`/`int64_hash` hash them.
    static func littleEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        (0..<(T.bitWidth / 8)).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) }
    }

    @inline(__always) private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { x << r | x >> (32 - r) }
    @inline(__always) private static func rotl(_ x: UInt64, _ r: UInt64) -> UInt64 { x << r | x >> (64 - r) }

    @inline(__always) private static func read32(_ d: [UInt8], _ i: Int) -> UInt32 {
        UInt32(d[i]) | UInt32(d[i + 1]) << 8 | UInt32(d[i + 2]) << 16 | UInt32(d[i + 3]) << 24
    }

    @inline(__always) private static func read64(_ d: [UInt8], _ i: Int) -> UInt64 {
        var v: UInt64 = 0
        for j in (0..<8).reversed() { v = v << 8 | UInt64(d[i + j]) }
        return v
    }

    private static func fmix32(_ x: UInt32) -> UInt32 {
        var h = x
        h ^= h >> 16; h &*= 0x85eb_ca6b; h ^= h >> 13; h &*= 0xc2b2_ae35; h ^= h >> 16
        return h
    }

    private static func fmix64(_ x: UInt64) -> UInt64 {
        var k = x
        k ^= k >> 33; k &*= 0xff51_afd7_ed55_8ccd; k ^= k >> 33; k &*= 0xc4ce_b9fe_1a85_ec53; k ^= k >> 33
        return k
    }
}

/// Lowercase hex and RFC 4648 base64 (with padding), as Ruby's `hexdigest` and `strict_encode64` write them.
enum ByteText {
    static func hex(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digit(b >> 4))
            out.append(digit(b & 0xF))
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i < bytes.count {
            let n = min(3, bytes.count - i)
            var v = UInt32(bytes[i]) << 16
            if n > 1 { v |= UInt32(bytes[i + 1]) << 8 }
            if n > 2 { v |= UInt32(bytes[i + 2]) }
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(n > 1 ? alphabet[Int(v >> 6 & 63)] : UInt8(ascii: "="))
            out.append(n > 2 ? alphabet[Int(v & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    @inline(__always) private static func digit(_ v: UInt8) -> UInt8 { v < 10 ? 48 + v : 87 + v }
}

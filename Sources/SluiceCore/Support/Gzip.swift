import CZlib

/// gzip compression through zlib.
public enum Gzip {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let code: Int32
        public var description: String { "zlib error \(code)" }
    }

    /// Compresses `input` into one complete gzip member and appends it to `output`.
    /// Concatenated members form a valid gzip file, so a file written one batch at a time
    /// stays readable after every write, even if the process dies between writes.
    public static func appendMember(_ input: [UInt8], to output: inout [UInt8], level: Int32 = 6) throws(Failure) {
        var s = z_stream()
        var rc = deflateInit2_(&s, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                               ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw Failure(code: rc) }
        defer { deflateEnd(&s) }
        let bound = Int(deflateBound(&s, uLong(input.count)))
        let start = output.count
        output.append(contentsOf: repeatElement(0, count: bound))
        rc = input.withUnsafeBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                s.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                s.avail_in = uInt(inBuf.count)
                s.next_out = outBuf.baseAddress.map { $0 + start }
                s.avail_out = uInt(bound)
                return deflate(&s, Z_FINISH)
            }
        }
        guard rc == Z_STREAM_END else { output.removeSubrange(start...); throw Failure(code: rc) }
        output.removeSubrange((start + Int(s.total_out))...)
    }

    /// Decompresses a gzip stream (all members).
    public static func decompress(_ input: [UInt8]) throws(Failure) -> [UInt8] {
        var s = z_stream()
        var rc = inflateInit2_(&s, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw Failure(code: rc) }
        defer { inflateEnd(&s) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        var offset = 0
        while offset < input.count {
            rc = input.withUnsafeBufferPointer { inBuf in
                chunk.withUnsafeMutableBufferPointer { c in
                    s.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress.map { $0 + offset })
                    s.avail_in = uInt(inBuf.count - offset)
                    s.next_out = c.baseAddress
                    s.avail_out = uInt(c.count)
                    let r = inflate(&s, Z_NO_FLUSH)
                    offset = inBuf.count - Int(s.avail_in)
                    return r
                }
            }
            out.append(contentsOf: chunk[0..<(chunk.count - Int(s.avail_out))])
            if rc == Z_STREAM_END {
                if offset >= input.count { break }
                inflateReset(&s)  // next member
            } else if rc != Z_OK {
                throw Failure(code: rc)
            }
        }
        return out
    }
}

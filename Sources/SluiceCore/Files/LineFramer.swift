#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Splits a byte stream into lines at a delimiter (one or more bytes), keeping the
/// unterminated tail between reads: the one line framer of Sluice (the file input, stdin,
/// line-oriented codecs' framing, spooled files).
///
/// Two steps, so the costly one can run elsewhere: `completeLines(appending:)` cuts what was
/// read at its last delimiter (cheap: a short backward scan), and `forEachLine(in:)` walks the
/// lines of such a region (a `memchr` per line for a one-byte delimiter). A value type: the
/// scanning half needs only the delimiter and can be taken into other tasks.
///
///     var framer = LineFramer(delimiter: [10])
///     let region = framer.completeLines(appending: chunk)      // "a\nb\n", keeps "c"
///     region.withUnsafeBufferPointer { buf in
///         framer.forEachLine(in: buf, includingFinal: false) { line, next in ... }
///     }
public struct LineFramer: Sendable {
    /// The delimiter; never empty (an empty one means `\n`).
    public let delimiter: [UInt8]
    /// The start of a line whose delimiter has not been read yet.
    public private(set) var pending: [UInt8] = []

    public init(delimiter: [UInt8] = [10]) { self.delimiter = delimiter.isEmpty ? [10] : delimiter }

    /// Appends `bytes` to the pending tail and returns every complete line so far (the
    /// pending tail, then `bytes` up to and including the last delimiter); what follows the
    /// last delimiter stays pending. Empty if `bytes` completes no line.
    public mutating func completeLines(appending bytes: UnsafeRawBufferPointer) -> [UInt8] {
        let searchFrom = max(0, pending.count - delimiter.count + 1)
        var region = pending
        region.append(contentsOf: bytes)
        let cut = endOfLastLine(region, searchFrom: searchFrom)
        pending = Array(region[cut...])
        region.removeSubrange(cut...)
        return region
    }

    /// Takes the pending tail (a last line without a delimiter, at the end of the input).
    public mutating func takePending() -> [UInt8] {
        defer { pending = [] }
        return pending
    }

    /// Cuts the first `count` bytes off the pending tail, so an overlong line can be passed on
    /// in pieces while its delimiter has not been read yet.
    public mutating func takePending(prefix count: Int) -> [UInt8] {
        let n = min(max(0, count), pending.count)
        defer { pending.removeFirst(n) }
        return Array(pending[..<n])
    }

    /// Forgets the pending tail (the input was truncated or reopened).
    public mutating func reset() { pending = [] }

    /// The index just past the last delimiter in `bytes`, not looking before `searchFrom`
    /// for a multi-byte delimiter (0 if there is none).
    public func endOfLastLine(_ bytes: [UInt8], searchFrom: Int = 0) -> Int {
        let d = delimiter
        guard bytes.count >= d.count else { return 0 }
        if d.count == 1 {
            // The last line ends near the end of a read, so a backward scan is short; it stops
            // at `searchFrom`, so a long line is not scanned again with every read.
            var i = bytes.count - 1
            while i >= searchFrom {
                if bytes[i] == d[0] { return i + 1 }
                i -= 1
            }
            return 0
        }
        var i = bytes.count - d.count
        while i >= searchFrom {
            if bytes[i] == d[0] && bytes[i..<(i + d.count)].elementsEqual(d) { return i + d.count }
            i -= 1
        }
        return 0
    }

    /// Calls `body` for each line of `buf`, in order, with the line's index range (delimiter
    /// excluded) and the index just past its delimiter. Text after the last delimiter is a
    /// line too with `includingFinal` (the end of a file that is complete), else it is left.
    ///
    /// Inlinable, with `body` inlined into the caller's loop: this runs once per line.
    @inlinable
    public func forEachLine<E: Error>(in buf: UnsafeBufferPointer<UInt8>, includingFinal: Bool,
                                      _ body: (_ line: Range<Int>, _ next: Int) throws(E) -> Void) throws(E) {
        guard let base = buf.baseAddress else { return }
        let d = delimiter
        let first = d[0]
        let n = buf.count
        var start = 0
        while start < n {
            var idx = n
            if d.count == 1 {
                if let p = memchr(base + start, Int32(first), n - start) {
                    idx = base.distance(to: p.assumingMemoryBound(to: UInt8.self))
                }
            } else {
                var i = start
                while i + d.count <= n {
                    if buf[i] == first && buf[i..<(i + d.count)].elementsEqual(d) { idx = i; break }
                    i += 1
                }
            }
            if idx == n && !includingFinal { return }
            let next = min(n, idx + d.count)
            try body(start..<idx, next)
            start = next
        }
    }
}

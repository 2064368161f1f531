import Synchronization

/// One configuration source (a file, or the `-e` string) with a line index, so that
/// locations can be turned into `line:column` and the offending line can be shown.
public final class SourceFile: Sendable, CustomStringConvertible {
    /// The name shown in diagnostics: the path as given, or `config string` for `-e`.
    public let name: String
    public let text: String
    let bytes: [UInt8]
    /// Byte offset of the first byte of each line.
    let lineStarts: [Int]
    /// Byte ranges holding secret values: excerpts show them as `*`.
    private let secretRanges = Mutex<[Range<Int>]>([])

    public init(name: String, text: String) {
        self.name = name
        self.text = text
        let b = Array(text.utf8)
        bytes = b
        var starts = [0]
        for i in b.indices where b[i] == UInt8(ascii: "\n") { starts.append(i + 1) }
        lineStarts = starts
    }

    public var description: String { name }

    public var lineCount: Int { lineStarts.count }

    /// The text of 1-based line `n`, without its line terminator ("" when out of range).
    public func line(_ n: Int) -> String {
        guard n >= 1, n <= lineStarts.count else { return "" }
        let start = lineStarts[n - 1]
        var end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// Marks `range` (UTF-8 byte offsets) as a secret: every excerpt of this file masks it.
    public func maskSecret(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        secretRanges.withLock { if !$0.contains(range) { $0.append(range) } }
    }

    /// Masks the value token starting at byte `offset` (a quoted string's quotes stay visible).
    public func maskSecretValue(at offset: Int) {
        let end = valueEnd(from: offset)
        let quoted = offset < bytes.count && (bytes[offset] == UInt8(ascii: "\"") || bytes[offset] == UInt8(ascii: "'"))
            && end - offset >= 2 && bytes[end - 1] == bytes[offset]
        maskSecret(quoted ? offset + 1..<end - 1 : offset..<end)
    }

    /// Secret byte ranges that overlap `range`.
    func secrets(overlapping range: Range<Int>) -> [Range<Int>] {
        secretRanges.withLock { $0.filter { $0.overlaps(range) } }
    }

    /// The end offset of the value token starting at `offset`: a quoted string (with its
    /// quotes), a bracketed array, or a bareword/number. Used to find a secret's extent.
    public func valueEnd(from offset: Int) -> Int {
        guard offset < bytes.count else { return bytes.count }
        var i = offset
        func skipQuoted() {
            let q = bytes[i]
            i += 1
            while i < bytes.count, bytes[i] != q { i += bytes[i] == UInt8(ascii: "\\") ? 2 : 1 }
            i = min(i + 1, bytes.count)
        }
        switch bytes[offset] {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            skipQuoted()
        case UInt8(ascii: "["):
            var depth = 0
            while i < bytes.count {
                let c = bytes[i]
                if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") { skipQuoted(); continue }
                if c == UInt8(ascii: "[") { depth += 1 }
                if c == UInt8(ascii: "]") { depth -= 1; if depth == 0 { return i + 1 } }
                i += 1
            }
        default:
            while i < bytes.count, Parser.isNameByte(bytes[i]) || bytes[i] == UInt8(ascii: ".") { i += 1 }
        }
        return min(i, bytes.count)
    }

    /// The location of a byte offset (clamped to the text).
    public func location(ofOffset offset: Int) -> SourceLocation {
        let off = min(max(0, offset), bytes.count)
        // Binary search for the last line starting at or before `off`.
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        // Columns count characters (not UTF-8 continuation bytes) so the caret lines up.
        var column = 1
        var i = lineStarts[lo]
        while i < off {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return SourceLocation(file: self, line: lo + 1, column: column, offset: off)
    }
}

extension SourceFile {
    /// The 1-based columns of line `n` that hold a secret.
    func secretColumns(line n: Int) -> [Int] {
        guard n >= 1, n <= lineStarts.count else { return [] }
        let start = lineStarts[n - 1]
        let end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
        var columns: [Int] = []
        for r in secrets(overlapping: start..<max(start + 1, end)) {
            var col = location(ofOffset: max(r.lowerBound, start)).column
            var i = max(r.lowerBound, start)
            while i < min(r.upperBound, end) {
                if bytes[i] & 0xC0 != 0x80 { columns.append(col); col += 1 }
                i += 1
            }
        }
        return columns
    }
}

/// A 1-based `line:column` position in a `SourceFile`.
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public let file: SourceFile
    public let line: Int
    public let column: Int
    /// Byte offset in the file's UTF-8 text.
    public let offset: Int

    public init(file: SourceFile, line: Int, column: Int, offset: Int = 0) {
        self.file = file
        self.line = line
        self.column = column
        self.offset = offset
    }

    public var fileName: String { file.name }

    /// The text of the line this location is on.
    public var lineText: String { file.line(line) }

    /// `file:line:col`
    public var description: String { "\(file.name):\(line):\(column)" }

    /// Widest excerpt of a line, in characters; longer lines are cut around the caret.
    static let excerptWidth = 160

    /// The source line followed by a caret under the column; tabs are copied so the caret
    /// lines up. Secrets on the line are shown as `*` (one per character); a line longer
    /// than `excerptWidth` is cut around the caret, with `…` where it was cut.
    public var snippet: String {
        var shown = Array(lineText.unicodeScalars)
        for col in file.secretColumns(line: line) where col - 1 < shown.count { shown[col - 1] = "*" }
        var first = 0
        var caretIndex = column - 1
        var cutBefore = false, cutAfter = false
        if shown.count > SourceLocation.excerptWidth {
            first = max(0, min(column - 1 - SourceLocation.excerptWidth / 2, shown.count - SourceLocation.excerptWidth))
            let end = min(shown.count, first + SourceLocation.excerptWidth)
            cutBefore = first > 0
            cutAfter = end < shown.count
            shown = Array(shown[first..<end])
            caretIndex -= first
        }
        var text = String.UnicodeScalarView()
        if cutBefore { text.append("…") }
        text.append(contentsOf: shown)
        if cutAfter { text.append("…") }
        var caret = cutBefore ? " " : ""
        var col = 0
        for ch in shown {
            if col >= caretIndex { break }
            caret.append(ch == "\t" ? "\t" : " ")
            col += 1
        }
        // Past the end of the line (e.g. at end of file): pad with spaces.
        while col < caretIndex { caret.append(" "); col += 1 }
        return String(text) + "\n" + caret + "^"
    }

    public static func == (a: SourceLocation, b: SourceLocation) -> Bool {
        a.line == b.line && a.column == b.column && (a.file === b.file || a.file.name == b.file.name)
    }

    public func hash(into h: inout Hasher) {
        h.combine(file.name)
        h.combine(line)
        h.combine(column)
    }
}

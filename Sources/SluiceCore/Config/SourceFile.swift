/// One configuration source (a file, or the `-e` string) with a line index, so that
/// locations can be turned into `line:column` and the offending line can be shown.
public final class SourceFile: Sendable, CustomStringConvertible {
    /// The name shown in diagnostics: the path as given, or `config string` for `-e`.
    public let name: String
    public let text: String
    let bytes: [UInt8]
    /// Byte offset of the first byte of each line.
    let lineStarts: [Int]

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

    /// The source line followed by a caret under the column; tabs are copied so the caret lines up.
    public var snippet: String {
        let text = lineText
        var caret = ""
        var col = 1
        for ch in text.unicodeScalars {
            if col >= column { break }
            caret.append(ch == "\t" ? "\t" : " ")
            col += 1
        }
        // Past the end of the line (e.g. at end of file): pad with spaces.
        while col < column { caret.append(" "); col += 1 }
        return text + "\n" + caret + "^"
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

import SluiceCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Writes chosen fields of each event as a CSV row, like Logstash's csv output.
///
/// Cells are quoted as RFC 4180 says (a cell holding the separator, the quote character or a
/// line break is quoted, quotes inside doubled). With `write_headers` a file gets its header
/// once: when it is created or found empty, also after a restart (a file that already has
/// bytes gets none). Rows go through SluiceCore's `FileWriter` as the file output's lines do,
/// so a batch is acknowledged only after its bytes were written (and fsync'ed per
/// `flush_interval`).
public final class CSVOutput: OutputPlugin {
    public static let pluginName = "csv"
    public static let summary = "Writes chosen event fields as CSV rows (RFC 4180 quoting, one header per file)."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("path", .template, required: true, doc: "File path; may use sprintf, e.g. `/grafana_log/%{topic}.lag`."),
        SettingSpec("fields", .array, required: true,
                    doc: "Field references written as the columns, in order; a missing field is an empty cell, a hash is written as JSON."),
        SettingSpec("csv_options", .hash, default: .object(FieldMap()),
                    doc: "`col_sep` (default `,`), `quote_char` (default `\"`), `row_sep` (default newline), `write_headers` (default false) and `headers` (default: the `fields`)."),
        SettingSpec("spreadsheet_safe", .boolean, default: true,
                    doc: "Prefix string cells starting with `=`, `+`, `-` or `@` with `'`, so spreadsheets do not run them as formulas."),
        SettingSpec("flush_interval", .number, default: 2, doc: "Seconds between fsyncs; 0 fsyncs every batch."),
        SettingSpec("gzip", .boolean, default: false, doc: "Compress the output with gzip."),
        SettingSpec("dir_mode", .number, default: -1, doc: "Mode of created directories (-1: system default)."),
        SettingSpec("file_mode", .number, default: -1, doc: "Mode of created files (-1: system default)."),
        SettingSpec("stale_cleanup_interval", .number, default: 10, doc: "Seconds after which idle files are closed."),
    ]

    let path: Template
    let fields: [FieldReference]
    let format: CSVFormat
    /// The header row's bytes, or nil without `write_headers`.
    let header: [UInt8]?
    let staleAfter: Double
    let writer: FileWriter
    /// Held from the header decision to the append, so two workers cannot both find a file
    /// empty and both write its header.
    private let headerLock = Mutex(())

    public init(settings: PluginSettings, context: PluginContext) throws {
        guard let p = settings.template("path") else { throw settings.error("path", "is required") }
        path = p
        let names = settings.strings("fields")
        guard !names.isEmpty else { throw settings.error("fields", "needs at least one field") }
        fields = try names.map { name in
            do { return try FieldReference(parsing: name) } catch { throw settings.error("fields", "`\(name)` is not a field reference") }
        }
        let options = settings.hash("csv_options")
        for key in options.keys where !CSVOutput.optionNames.contains(key) {
            throw settings.error("csv_options", "unknown option `\(key)`; known: \(CSVOutput.optionNames.sorted().joined(separator: ", "))")
        }
        let sep = options["col_sep"]?.renderedString ?? ","
        let quote = options["quote_char"]?.renderedString ?? "\""
        guard !sep.isEmpty else { throw settings.error("csv_options", "`col_sep` must not be empty") }
        guard quote.utf8.count == 1 else { throw settings.error("csv_options", "`quote_char` must be one character") }
        format = CSVFormat(separator: Array(sep.utf8), quote: quote.utf8.first ?? UInt8(ascii: "\""),
                           rowSeparator: Array((options["row_sep"]?.renderedString ?? "\n").utf8),
                           spreadsheetSafe: try settings.declaredBool("spreadsheet_safe"))
        if options["write_headers"]?.isTruthy == true && options["write_headers"]?.renderedString != "false" {
            let given = options["headers"].map { $0.arrayValue ?? [$0] }?.map(\.renderedString) ?? names
            guard given.count == names.count else {
                throw settings.error("csv_options", "`headers` has \(given.count) names for \(names.count) fields")
            }
            var row: [UInt8] = []
            format.appendRow(given.map { Value.string($0) }, to: &row, escapeFormulas: false)
            header = row
        } else {
            header = nil
        }
        staleAfter = try settings.declaredDouble("stale_cleanup_interval")
        let dm = try settings.declaredInt("dir_mode")
        let fm = try settings.declaredInt("file_mode")
        let logger = context.logger
        writer = FileWriter(
            options: FileWriter.Options(flushInterval: try settings.declaredDouble("flush_interval"),
                                        gzip: try settings.declaredBool("gzip"),
                                        directoryMode: dm < 0 ? 0o755 : mode_t(dm), fileMode: fm < 0 ? 0o644 : mode_t(fm)),
            onSyncError: { logger.error("csv output: \($0)") })
    }

    static let optionNames: Set<String> = ["col_sep", "quote_char", "row_sep", "write_headers", "headers"]

    public func write(_ events: [Event]) async throws -> WriteOutcome {
        // Rows by rendered path, files in order of first appearance.
        var order: [String] = []
        var rows: [String: [UInt8]] = [:]
        var cells: [Value] = []
        for e in events {
            let p = path.isConstant ? path.text : path.render(e)
            if rows[p] == nil { order.append(p) }
            cells.removeAll(keepingCapacity: true)
            for f in fields { cells.append(e[f] ?? .null) }
            format.appendRow(cells, to: &rows[p, default: []], escapeFormulas: true)
        }
        for p in order { try append(rows[p] ?? [], to: p) }
        writer.closeIdle(olderThan: staleAfter)
        return .delivered
    }

    private func append(_ bytes: [UInt8], to p: String) throws {
        try headerLock.withLock { _ in
            var data = bytes
            if let header, Self.isEmptyOrMissing(p) { data = header + bytes }
            do {
                try data.withUnsafeBufferPointer { try writer.append($0, to: p) }
            } catch let error as FileWriter.Failure {
                throw PluginError(error.description, retriable: error.retriable)  // the host retries with backoff
            }
        }
    }

    /// A file that does not exist yet or has no bytes gets the header.
    private static func isEmptyOrMissing(_ p: String) -> Bool {
        var st = stat()
        return stat(p, &st) != 0 || st.st_size == 0
    }

    public func close() async throws {
        await writer.close()
    }
}

/// How cells become CSV text: separator, quote character, row separator, and the formula
/// guard (`spreadsheet_safe`).
struct CSVFormat: Sendable {
    var separator: [UInt8]
    var quote: UInt8
    var rowSeparator: [UInt8]
    var spreadsheetSafe: Bool

    /// Appends one row. Strings starting with `= + - @` get a leading `'` when
    /// `spreadsheetSafe` (Logstash does this for strings only, so the number -5 stays -5).
    func appendRow(_ cells: [Value], to out: inout [UInt8], escapeFormulas: Bool) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { out.append(contentsOf: separator) }
            var text = Array(cell.renderedString.utf8)
            if escapeFormulas, spreadsheetSafe, case .string = cell, let first = text.first,
               first == UInt8(ascii: "=") || first == UInt8(ascii: "+") || first == UInt8(ascii: "-") || first == UInt8(ascii: "@") {
                text.insert(UInt8(ascii: "'"), at: 0)
            }
            appendCell(text, to: &out)
        }
        out.append(contentsOf: rowSeparator)
    }

    /// RFC 4180: quote a cell holding the separator, the quote or a line break; double quotes.
    private func appendCell(_ text: [UInt8], to out: inout [UInt8]) {
        let needsQuotes = text.contains(quote) || text.contains(0x0A) || text.contains(0x0D) || contains(text, separator)
        guard needsQuotes else {
            out.append(contentsOf: text)
            return
        }
        out.append(quote)
        for b in text {
            if b == quote { out.append(quote) }
            out.append(b)
        }
        out.append(quote)
    }

    private func contains(_ text: [UInt8], _ part: [UInt8]) -> Bool {
        guard part.count <= text.count else { return false }
        if part.count == 1 { return text.contains(part[0]) }
        for start in 0...(text.count - part.count) where text[start..<(start + part.count)].elementsEqual(part) { return true }
        return false
    }
}

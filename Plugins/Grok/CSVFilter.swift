import SluiceCore

/// Logstash's `csv` filter: parses one line of delimited text from a field into fields.
///
/// Quoting follows Ruby's CSV (`CSVLineParser`); malformed text, or a source that is not text,
/// tags the event `_csvparsefailure`. Columns are named by `columns`, then `column1`,
/// `column2`, ... (`autogenerate_column_names`); `convert` types values (`CSVConversion`).
///
/// `autodetect_column_names` takes the names from the first event this filter instance sees
/// (that event is dropped), and `skip_header` drops events equal to the column names. Filters
/// are built once per pipeline worker, so with several workers each one detects its own header
/// from whichever event reaches it first; as in Logstash, run such pipelines with
/// `pipeline.workers: 1` (and ordered input). An empty first event leaves the names undetected
/// (Logstash would then fail every later event).
public final class CSVFilter: FilterPlugin {
    public static let pluginName = "csv"
    public static let summary = "Parses a line of comma-separated (or other delimited) values into fields."
    public static let settingSpecs: [SettingSpec] = [
        SettingSpec("source", .fieldReference, default: "message", doc: "Field holding the CSV text."),
        SettingSpec("target", .fieldReference, doc: "Field under which the columns are stored; the event root by default."),
        SettingSpec("columns", .array, default: .array([]),
                    doc: "Column names in order; columns beyond the list are named `columnN`."),
        SettingSpec("separator", .string, default: ",", doc: "Column separator (one or more characters; a tab must be a real tab)."),
        SettingSpec("quote_char", .string, default: "\"",
                    doc: "Character that quotes columns; `\\x00` turns quoting off."),
        SettingSpec("autodetect_column_names", .boolean, default: false,
                    doc: "Take column names from the first event (which is dropped); needs one pipeline worker."),
        SettingSpec("autogenerate_column_names", .boolean, default: true,
                    doc: "Name columns without a configured name `columnN`; when false they are not stored."),
        SettingSpec("skip_header", .boolean, default: false,
                    doc: "Drop events whose values equal the column names; needs one pipeline worker."),
        SettingSpec("skip_empty_columns", .boolean, default: false, doc: "Do not store empty columns."),
        SettingSpec("skip_empty_rows", .boolean, default: false,
                    doc: "Tag empty rows `_csvskippedemptyfield` instead of `_csvparsefailure`."),
        SettingSpec("convert", .hash, default: .object(FieldMap()),
                    doc: "Column => `integer`, `float`, `date`, `date_time` or `boolean`."),
        SettingSpec("ecs_compatibility", .oneOf(["disabled", "v1", "v8"]), default: "disabled",
                    doc: "With ECS (`v1`/`v8`), a missing `target` is reported at start-up."),
    ]

    static let failureTag = "_csvparsefailure"
    static let emptyRowTag = "_csvskippedemptyfield"

    private let id: String
    private let logger: Logger
    private let source: FieldReference
    private let target: FieldReference?
    private let parser: CSVLineParser
    /// Configured names, or the detected header; nil entries (empty header cells) get `columnN`.
    private var columns: [String?]
    private let autodetect: Bool
    private let autogenerate: Bool
    private let skipHeader: Bool
    private let skipEmptyColumns: Bool
    private let skipEmptyRows: Bool
    private let conversions: [String: CSVConversion]

    public init(settings: PluginSettings, context: PluginContext) throws {
        id = settings.id
        logger = context.logger
        source = try ExtractSettings.field(try settings.declaredString("source"), setting: "source", in: settings)
        target = try settings.string("target").map { t throws(ConfigError) in
            try ExtractSettings.field(t, setting: "target", in: settings)
        }
        columns = settings.strings("columns").map { Optional($0) }
        autodetect = try settings.declaredBool("autodetect_column_names")
        autogenerate = try settings.declaredBool("autogenerate_column_names")
        skipHeader = try settings.declaredBool("skip_header")
        skipEmptyColumns = try settings.declaredBool("skip_empty_columns")
        skipEmptyRows = try settings.declaredBool("skip_empty_rows")

        let separator = try settings.declaredString("separator")
        guard !separator.isEmpty else { throw settings.error("separator", "must be at least one character") }
        var quote = try settings.declaredString("quote_char")
        if quote == "\\x00" { quote = "\u{0}" }  // as Logstash: the text `\x00` means NUL
        guard quote.unicodeScalars.count == 1 else {
            throw settings.error("quote_char", "must be a single character, got `\(quote)`")
        }
        parser = CSVLineParser(separator: Array(separator.utf8), quote: Array(quote.utf8))

        var conversions: [String: CSVConversion] = [:]
        for entry in settings.hash("convert") {
            let type = try ExtractSettings.text(entry.value, setting: "convert", entry: entry.key, in: settings)
            guard let c = CSVConversion(rawValue: type) else {
                let names = CSVConversion.allCases.map { "`\($0.rawValue)`" }.joined(separator: ", ")
                throw settings.error("convert", "invalid conversion type `\(type)` for `\(entry.key)`; expected one of \(names)")
            }
            conversions[entry.key] = c
        }
        self.conversions = conversions
        if try ExtractSettings.ecsEnabled(settings) && target == nil {
            logger.info("csv \(id): ECS compatibility is on but `target` is not set; columns go to the event root and may clash with ECS fields")
        }
    }

    public func filter(_ event: inout Event, _ context: inout FilterContext) -> FilterResult {
        // Ruby's `if (source = event.get(@source))`: absent, null and false do nothing.
        guard let raw = event[source], raw != .null, raw != .bool(false) else { return .unmatched }
        guard case .string(let text) = raw else {
            return fail(&event, "source `\(source)` is a \(raw.typeName), not text")
        }
        let row: [String?]?
        do { row = try parser.parse(text) } catch { return fail(&event, error.description) }

        if autodetect && columns.isEmpty {
            columns = row ?? []
            return .drop
        }
        if skipHeader && !columns.isEmpty && columns == row {
            return .drop
        }
        guard let row else {
            if skipEmptyRows {
                event.addTag(Self.emptyRowTag)
                return .unmatched
            }
            return fail(&event, "the source is empty")
        }
        for (i, value) in row.enumerated() {
            if skipEmptyColumns && (value?.isEmpty ?? true) { continue }
            let name: String
            if i < columns.count, let c = columns[i] {
                name = c
            } else if autogenerate {
                name = "column\(i + 1)"
            } else {
                continue
            }
            let v = conversions[name]?.apply(value) ?? value.map(Value.string) ?? .null
            let ref = FieldReference(path: (target?.path ?? []) + [name])
            guard event.set(ref, v) else { return fail(&event, "cannot set `\(ref)`: a parent is not a hash") }
        }
        return .matched
    }

    private func fail(_ event: inout Event, _ why: String) -> FilterResult {
        logger.warning("csv \(id): error parsing csv: \(why)")
        event.addTag(Self.failureTag)
        return .unmatched
    }
}

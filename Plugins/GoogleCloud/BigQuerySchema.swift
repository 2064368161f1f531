import SluiceCore

/// One column of a BigQuery table (the REST API's `TableFieldSchema`). Types use the
/// standard SQL names (`INT64`, `FLOAT64`, `BOOL`, `RECORD`); the legacy ones a schema may
/// come back with (`INTEGER`, `FLOAT`, `BOOLEAN`, `STRUCT`) are normalized on the way in.
public struct BigQueryField: Sendable, Equatable {
    public var name: String
    public var type: String
    public var repeated: Bool
    public var fields: [BigQueryField]

    public init(_ name: String, _ type: String, repeated: Bool = false, fields: [BigQueryField] = []) {
        self.name = name
        self.type = BigQueryField.normalize(type)
        self.repeated = repeated
        self.fields = fields
    }

    static func normalize(_ type: String) -> String {
        switch type.uppercased() {
        case "INTEGER": "INT64"
        case "FLOAT": "FLOAT64"
        case "BOOLEAN": "BOOL"
        case "STRUCT": "RECORD"
        case let t: t
        }
    }

    /// The REST form: `{"name", "type", "mode", "fields"}`.
    public var json: Value {
        var m = FieldMap()
        m.set("name", .string(name))
        m.set("type", .string(type))
        m.set("mode", .string(repeated ? "REPEATED" : "NULLABLE"))
        if !fields.isEmpty { m.set("fields", .array(fields.map(\.json))) }
        return .object(m)
    }

    /// Reads the REST form (also `json_schema`'s hash); nil when a field has no name.
    public init?(json: Value) {
        guard let m = json.objectValue, let name = m["name"]?.stringValue else { return nil }
        let children = (m["fields"]?.arrayValue ?? []).compactMap(BigQueryField.init(json:))
        self.init(name, m["type"]?.stringValue ?? "STRING",
                  repeated: m["mode"]?.stringValue?.uppercased() == "REPEATED", fields: children)
    }

    /// Columns this field counts for against the table's limit (a RECORD and its children).
    var columnCount: Int { 1 + fields.reduce(0) { $0 + $1.columnCount } }
}

extension Array where Element == BigQueryField {
    subscript(column name: String) -> BigQueryField? {
        first { $0.name.lowercased() == name.lowercased() }
    }
    var columnCount: Int { reduce(0) { $0 + $1.columnCount } }

    /// Parses `csv_schema`'s `name:TYPE,name:TYPE` (Logstash's format).
    static func parseCSV(_ text: String) -> [BigQueryField]? {
        var out: [BigQueryField] = []
        for part in text.split(separator: ",") {
            let pieces = part.split(separator: ":", maxSplits: 1).map { $0.trimmingSpaces }
            guard pieces.count == 2, !pieces[0].isEmpty, !pieces[1].isEmpty else { return nil }
            out.append(BigQueryField(pieces[0], pieces[1]))
        }
        return out.isEmpty ? nil : out
    }
}

extension Substring {
    var trimmingSpaces: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}

/// How events become BigQuery rows, and (with `schema_mode => auto`) which columns they need.
///
/// A value becomes a column when BigQuery can hold it: objects are RECORDs, arrays of one
/// kind are REPEATED, ISO 8601 strings and timestamps are TIMESTAMPs, integers are INT64
/// (FLOAT64 when a new column sees both), the rest STRING or BOOL. Anything else — a name
/// BigQuery refuses, a type that conflicts with the column, arrays of arrays or with nulls,
/// values seen only as null or empty, columns past the table's limit — goes, with its path
/// kept, into one JSON column (`overflow_field`), so nothing is dropped.
public struct BigQueryRowEncoder: Sendable {
    /// The JSON column for what cannot be a column; nil drops nothing either, but sends such
    /// values as they are (BigQuery then accepts or rejects the row).
    public var overflowField: String?
    /// BigQuery's limit on a table's columns, nested ones included.
    public var maxColumns: Int
    /// BigQuery's limit on RECORD nesting.
    public static let maxDepth = 15

    public init(overflowField: String?, maxColumns: Int = 10_000) {
        self.overflowField = overflowField
        self.maxColumns = maxColumns
    }

    // MARK: Names

    /// The column name of an event key: a leading `@` is dropped (`@timestamp` → `timestamp`),
    /// as BigQuery column names are letters, digits and underscores; nil when even that is not
    /// a valid name.
    static func columnName(_ key: String) -> String? {
        let name = key.hasPrefix("@") ? String(key.dropFirst()) : key
        guard let first = name.utf8.first, name.utf8.count <= 300,
              first == UInt8(ascii: "_") || isLetter(first),
              name.utf8.allSatisfy({ $0 == UInt8(ascii: "_") || isLetter($0) || (0x30...0x39).contains($0) }) else { return nil }
        let upper = name.uppercased()
        for reserved in ["_TABLE_", "_FILE_", "_PARTITION", "_ROW_TIMESTAMP", "__ROOT__", "_COLON_"] where upper.hasPrefix(reserved) {
            return nil
        }
        return name
    }

    private static func isLetter(_ c: UInt8) -> Bool { (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) }

    /// The column names of an object's keys; keys whose name is invalid, or repeats another
    /// key's name (case-insensitively, as BigQuery compares them), or is the overflow column, map to nil.
    func names(_ object: FieldMap, topLevel: Bool) -> [String?] {
        var seen = Set<String>()
        if topLevel, let overflowField { seen.insert(overflowField.lowercased()) }
        return object.keys.map { key in
            guard let name = Self.columnName(key), seen.insert(name.lowercased()).inserted else { return nil }
            return name
        }
    }

    // MARK: Deriving columns

    /// Adds to `schema` the columns the events' values need; returns whether it changed.
    /// `known` is the schema the table has now: only columns it lacks may still widen
    /// (INT64 → FLOAT64), as BigQuery cannot change an existing column's type.
    public func extend(_ schema: inout [BigQueryField], known: [BigQueryField], with events: [Event]) -> Bool {
        let before = schema
        var budget = maxColumns - schema.columnCount - (overflowField.map { schema[column: $0] == nil ? 1 : 0 } ?? 0)
        for event in events {
            extend(&schema, known: known, object: event.serializableFields, depth: 1, budget: &budget, topLevel: true)
        }
        if let overflowField, schema[column: overflowField] == nil {
            schema.append(BigQueryField(overflowField, "JSON"))
        }
        return schema != before
    }

    private func extend(_ fields: inout [BigQueryField], known: [BigQueryField], object: FieldMap, depth: Int,
                        budget: inout Int, topLevel: Bool) {
        for (name, (_, value)) in zip(names(object, topLevel: topLevel), object) {
            guard let name, let shape = Self.shape(of: value) else { continue }
            let old = known[column: name]
            if let i = fields.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
                // A column not yet in the table may still widen, or grow children.
                if old == nil, fields[i].type == "INT64", shape.type == "FLOAT64", fields[i].repeated == shape.repeated {
                    fields[i].type = "FLOAT64"
                }
                if fields[i].type == "RECORD", shape.type == "RECORD", depth < Self.maxDepth {
                    for item in shape.objects {
                        extend(&fields[i].fields, known: old?.fields ?? [], object: item, depth: depth + 1, budget: &budget, topLevel: false)
                    }
                }
                continue
            }
            if shape.type == "RECORD" {
                guard depth < Self.maxDepth, budget > 1 else { continue }
                var record = BigQueryField(name, "RECORD", repeated: shape.repeated)
                budget -= 1
                for item in shape.objects {
                    extend(&record.fields, known: [], object: item, depth: depth + 1, budget: &budget, topLevel: false)
                }
                if record.fields.isEmpty { budget += 1; continue }  // a RECORD needs a child column
                fields.append(record)
            } else if budget > 0 {
                fields.append(BigQueryField(name, shape.type, repeated: shape.repeated))
                budget -= 1
            }
        }
    }

    /// The column a value would make, or nil when it cannot make one.
    static func shape(of value: Value) -> (type: String, repeated: Bool, objects: [FieldMap])? {
        if case .array(let items) = value {
            guard let first = items.first, var type = scalarOrRecord(first) else { return nil }
            var objects: [FieldMap] = []
            for item in items {
                guard let itemType = scalarOrRecord(item) else { return nil }
                if itemType == type {
                } else if Set([itemType, type]) == ["INT64", "FLOAT64"] {
                    type = "FLOAT64"
                } else if Set([itemType, type]) == ["STRING", "TIMESTAMP"] {
                    type = "STRING"
                } else {
                    return nil
                }
                if let o = item.objectValue { objects.append(o) }
            }
            return (type, true, objects)
        }
        return scalarOrRecord(value).map { ($0, false, value.objectValue.map { [$0] } ?? []) }
    }

    /// The column type of a value that is not an array.
    private static func scalarOrRecord(_ value: Value) -> String? {
        switch value {
        case .null, .array, .number: return nil
        case .bool: return "BOOL"
        case .int: return "INT64"
        case .double(let d): return d.isFinite ? "FLOAT64" : nil
        case .timestamp: return "TIMESTAMP"
        case .string(let s): return isTimestamp(s) ? "TIMESTAMP" : "STRING"
        case .object(let o): return o.isEmpty ? nil : "RECORD"
        }
    }

    /// `2021-08-03T10:00:00Z` and the like (date, `T` or space, time, optional zone).
    static func isTimestamp(_ s: String) -> Bool {
        let b = Array(s.utf8.prefix(20))
        guard b.count >= 19, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "), b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":") else { return false }
        return DateParsing.parseISO8601(b[10] == UInt8(ascii: " ") ? String(s.prefix(10)) + "T" + s.dropFirst(11) : s) != nil
    }

    // MARK: Encoding rows

    /// The row for `event` under `schema`: values that fit their column, and everything else
    /// in the overflow column as a JSON object that keeps the fields' paths. Without an
    /// overflow column values are sent as they are. Returns whether the overflow column was used.
    public func row(_ event: Event, schema: [BigQueryField]) -> (json: Value, overflowed: Bool) {
        var overflow = FieldMap()
        var row = encode(event.serializableFields, schema, overflow: &overflow, topLevel: true)
        if let overflowField, !overflow.isEmpty {
            row.set(overflowField, .string(JSON.encodeToString(.object(overflow))))
            return (.object(row), true)
        }
        return (.object(row), false)
    }

    private func encode(_ object: FieldMap, _ schema: [BigQueryField], overflow: inout FieldMap, topLevel: Bool) -> FieldMap {
        var row = FieldMap(minimumCapacity: object.count)
        for (name, (key, value)) in zip(names(object, topLevel: topLevel), object) {
            guard overflowField != nil else {
                // No overflow column: BigQuery judges the value (Logstash's behaviour).
                row.set(name ?? key, Self.plain(value))
                continue
            }
            guard let name, let column = schema[column: name] else {
                overflow.set(key, value)
                continue
            }
            var inner = FieldMap()
            if let fitted = fit(value, column, overflow: &inner) {
                if !fitted.isNull { row.set(column.name, fitted) }
                if !inner.isEmpty { overflow.set(key, .object(inner)) }
            } else {
                overflow.set(key, value)
            }
        }
        return row
    }

    /// `value` as `column` takes it, `.null` for a null, or nil when it does not fit. Parts of
    /// a record that do not fit go to `overflow` (keyed by the record's own keys).
    private func fit(_ value: Value, _ column: BigQueryField, overflow: inout FieldMap) -> Value? {
        if case .null = value { return .null }
        if column.repeated {
            guard case .array(let items) = value else { return nil }
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items {
                var inner = FieldMap()
                guard let v = fitOne(item, column, overflow: &inner), inner.isEmpty, !v.isNull else { return nil }
                out.append(v)
            }
            return .array(out)
        }
        return fitOne(value, column, overflow: &overflow)
    }

    /// (`Value` is `ExpressibleByNilLiteral`: a misfit is `Optional.none`, spelled out, as a
    /// bare `nil` in a conditional expression would become `Value.null`.)
    private func fitOne(_ value: Value, _ column: BigQueryField, overflow: inout FieldMap) -> Value? {
        let misfit: Value? = .none
        switch (column.type, value) {
        case ("RECORD", .object(let o)):
            return .object(encode(o, column.fields, overflow: &overflow, topLevel: false))
        case ("INT64", .int): return value
        case ("INT64", .double(let d)):
            return d.rounded() == d && abs(d) < 9.0e15 ? .int(Int64(d)) : misfit
        case ("FLOAT64", .int), ("BOOL", .bool), ("STRING", .string): return value
        case ("FLOAT64", .double(let d)): return d.isFinite ? value : misfit
        case ("STRING", .timestamp(let t)), ("TIMESTAMP", .timestamp(let t)): return .string(t.iso8601)
        case ("TIMESTAMP", .string(let s)): return Self.isTimestamp(s) ? value : misfit
        case ("JSON", _): return .string(JSON.encodeToString(value))
        case ("RECORD", _), ("INT64", _), ("FLOAT64", _), ("BOOL", _), ("STRING", _), ("TIMESTAMP", _): return misfit
        default: return Self.plain(value)  // a type this encoder does not judge (DATE, NUMERIC...)
        }
    }

    /// A value as JSON carries it to BigQuery: timestamps as ISO 8601.
    static func plain(_ value: Value) -> Value {
        switch value {
        case .timestamp(let t): .string(t.iso8601)
        case .array(let a): .array(a.map(plain))
        case .object(let o):
            .object({ var m = FieldMap(minimumCapacity: o.count); for (k, v) in o { m.set(k, plain(v)) }; return m }())
        default: value
        }
    }
}


import SluiceCore

/// One compiled dissect mapping (`%{a} %{+a} %{?k}=%{&k}`), as Logstash's dissect reads it.
///
/// The pattern is fields and the literal delimiters between them. Matching walks the source
/// bytes left to right: each field's value runs up to the first occurrence of its next
/// delimiter; the last field takes the rest (or up to a trailing delimiter). Consecutive
/// delimiters are empty fields, unless the field before was marked `->`, which skips repeats
/// of its delimiter (padding). Text before the first field is skipped by length, with repeats
/// of it skipped too. A delimiter that cannot be found fails the whole match.
struct DissectPattern {
    enum Kind: Equatable {
        case normal
        case skip
        /// Appended to an existing value, joined by the delimiter before the field (or a
        /// space); `order` sorts the appends (`%{+a/2}`), declared order otherwise.
        case append(order: Int)
        /// Stored under the value of the field (or event field) named `name`.
        case indirect
    }

    struct Field {
        let name: String
        let kind: Kind
        /// Where normal and append fields are stored; for indirect fields, the event field
        /// whose value names the key (nil when `name` is not a field reference).
        let ref: FieldReference?
        /// The delimiter before the field (the join text of appends); the leading text for the first.
        let previous: [UInt8]
        let next: [UInt8]
        /// Skip repeats of `previous` before the value: after a `->` field, or the leading text.
        let skipRepeats: Bool
    }

    let fields: [Field]
    private let prefix: [UInt8]
    /// Field indices in the order their values are stored: normal, then appends, then indirect.
    private let storeOrder: [Int]

    init(_ text: String) throws(DissectPatternError) {
        let b = Array(text.utf8)
        var raw: [(delimiter: [UInt8], name: String)] = []
        var pos = 0
        var scan = 0
        // Same reading as Logstash's `(.*?)%\{([^}]*?)}`: a field runs from `%{` to the next `}`.
        while scan + 1 < b.count {
            guard b[scan] == UInt8(ascii: "%"), b[scan + 1] == UInt8(ascii: "{"),
                  let close = b[(scan + 2)...].firstIndex(of: UInt8(ascii: "}")) else {
                scan += 1
                continue
            }
            raw.append((Array(b[pos..<scan]), String(decoding: b[(scan + 2)..<close], as: UTF8.self)))
            pos = close + 1
            scan = pos
        }
        guard !raw.isEmpty else { throw DissectPatternError("has no `%{field}`") }
        let trailing = Array(b[pos...])
        prefix = raw[0].delimiter

        var fields: [Field] = []
        var paddedBefore = !prefix.isEmpty
        for (i, r) in raw.enumerated() {
            var name = r.name
            let padded = name.hasSuffix("->")
            if padded { name = String(name.dropLast(2)) }
            let next = i + 1 < raw.count ? raw[i + 1].delimiter : trailing
            let (kind, key) = try Self.classify(name, original: r.name)
            var ref: FieldReference? = nil
            switch kind {
            case .normal, .append:
                do { ref = try FieldReference(parsing: key) } catch {
                    throw DissectPatternError("field `%{\(r.name)}`: \(error.description)")
                }
            case .indirect:
                ref = try? FieldReference(parsing: key)
            case .skip:
                break
            }
            fields.append(Field(name: key, kind: kind, ref: ref, previous: r.delimiter, next: next,
                                skipRepeats: paddedBefore))
            paddedBefore = padded
        }
        self.fields = fields

        func rank(_ k: Kind) -> Int {
            switch k {
            case .normal: return 0
            case .append(let order): return 100 + order
            case .indirect: return 1_000_000
            case .skip: return -1
            }
        }
        // A stable sort keeps declared order within each group, as Logstash's does.
        storeOrder = fields.indices.filter { fields[$0].kind != .skip }
            .enumerated().sorted { (rank(fields[$0.element].kind), $0.offset) < (rank(fields[$1.element].kind), $1.offset) }
            .map(\.element)
    }

    /// Prefixes as Logstash's FieldFactory reads them: `?` skip, `+` append (`/N` order), `&` indirect.
    private static func classify(_ name: String, original: String) throws(DissectPatternError) -> (Kind, String) {
        if name.isEmpty { return (.skip, "") }
        if name.hasPrefix("+&") || name.hasPrefix("&+") {
            throw DissectPatternError("field `%{\(original)}` cannot be both append (+) and indirect (&)")
        }
        let rest = String(name.dropFirst())
        switch name.first {
        case "?":
            return (.skip, rest)
        case "+":
            var key = rest
            var order = 0
            if let slash = rest.lastIndex(of: "/") {
                let digits = rest[rest.index(after: slash)...]
                guard let n = Int(digits), n >= 0, n < 100_000 else {
                    throw DissectPatternError("field `%{\(original)}`: the append order after `/` must be a number")
                }
                key = String(rest[..<slash])
                order = n
            }
            guard !key.isEmpty else { throw DissectPatternError("field `%{\(original)}` has a prefix but no name") }
            return (.append(order: order), key)
        case "&":
            guard !rest.isEmpty else { throw DissectPatternError("field `%{\(original)}` has a prefix but no name") }
            return (.indirect, rest)
        default:
            return (.normal, name)
        }
    }

    /// Dissects `text` into `event`; false when a delimiter is missing (nothing is stored then)
    /// or a value could not be stored because a parent field is not a hash.
    func apply(_ text: String, to event: inout Event) -> Bool {
        var s = text
        return s.withUTF8 { buf -> Bool in
            guard let ranges = locate(buf) else { return false }
            var ok = true
            for i in storeOrder {
                let f = fields[i]
                let value = String(decoding: UnsafeBufferPointer(rebasing: buf[ranges[i]]), as: UTF8.self)
                switch f.kind {
                case .normal:
                    if let ref = f.ref { ok = event.set(ref, .string(value)) && ok }
                case .append:
                    guard let ref = f.ref else { continue }
                    if let old = event[ref] {
                        let join = f.previous.isEmpty ? " " : String(decoding: f.previous, as: UTF8.self)
                        ok = event.set(ref, .string(old.renderedString + join + value)) && ok
                    } else {
                        ok = event.set(ref, .string(value)) && ok
                    }
                case .indirect:
                    let key = indirectKey(f, excluding: i, event: event, buf: buf, ranges: ranges)
                    guard !key.isEmpty else { continue }
                    if let ref = try? FieldReference(parsing: key) {
                        ok = event.set(ref, .string(value)) && ok
                    } else {
                        event.fields.set(key, .string(value))
                    }
                case .skip:
                    continue
                }
            }
            return ok
        }
    }

    /// The key of an indirect field: the event's field of that name (which normal fields of
    /// this pattern have already set), else the value of another field of the pattern (a skip field).
    private func indirectKey(_ f: Field, excluding index: Int, event: Event,
                             buf: UnsafeBufferPointer<UInt8>, ranges: [Range<Int>]) -> String {
        if let ref = f.ref, let v = event[ref] { return v.renderedString }
        guard let j = fields.indices.first(where: { $0 != index && fields[$0].name == f.name }) else { return "" }
        return String(decoding: UnsafeBufferPointer(rebasing: buf[ranges[j]]), as: UTF8.self)
    }

    /// The byte range of every field's value, or nil when a delimiter is missing.
    func locate(_ src: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var left = prefix.count
        guard left <= src.count else { return nil }
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(fields.count)
        for f in fields {
            if f.skipRepeats {
                while !f.previous.isEmpty, Self.find(f.previous, in: src, from: left) == left { left += f.previous.count }
            }
            if f.next.isEmpty {
                // Two fields in a row: the first is empty; the last field takes the rest.
                let end = ranges.count == fields.count - 1 ? src.count : left
                ranges.append(left..<end)
                left = end
                continue
            }
            guard let at = Self.find(f.next, in: src, from: left) else { return nil }
            ranges.append(left..<at)
            left = at + f.next.count
        }
        return ranges
    }

    /// The first index at or after `from` where `needle` (non-empty) starts.
    static func find(_ needle: [UInt8], in hay: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        let n = needle.count
        guard let first = needle.first, from + n <= hay.count else { return nil }
        var i = from
        let last = hay.count - n
        while i <= last {
            if hay[i] == first {
                var k = 1
                while k < n && hay[i + k] == needle[k] { k += 1 }
                if k == n { return i }
            }
            i += 1
        }
        return nil
    }
}

struct DissectPatternError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// A compiled condition. It may own `Regex` instances, which are not thread-safe:
/// compile one set of conditions per worker.
public typealias Condition = (Event) -> Bool

/// Compiles condition expressions once into closures, so that evaluating one per event
/// is a few field lookups and comparisons, with no walking of the syntax tree.
///
/// Semantics follow Logstash's Java execution engine (`EventCondition`):
/// - a missing field (or JSON null) is nil;
/// - `==`/`!=` compare numbers numerically across int/float and containers structurally;
///   a string never equals a number;
/// - `< > <= >=` order numbers, strings (bytewise) and timestamps; anything else is false;
/// - `=~`/`!~` match the string value of the left side (not a string: `=~` false, `!~` true);
/// - `in`: see `ConditionValues.contains` and `compileIn`;
/// - a bare value is truthy unless nil, false, "" or "false".
public enum ConditionCompiler {
    /// Ruby regexes, which Logstash uses, anchor `^`/`$` at every line.
    static let regexOptions: Regex.Options = [.multiline]

    /// `location` is where the condition is; it is given to errors (a bad regex, an operand
    /// that cannot be used that way).
    public static func compile(_ e: Expression, at location: SourceLocation) throws(ConfigError) -> Condition {
        switch e {
        case .and(let a, let b):
            let l = try compile(a, at: location), r = try compile(b, at: location)
            return { l($0) && r($0) }
        case .or(let a, let b):
            let l = try compile(a, at: location), r = try compile(b, at: location)
            return { l($0) || r($0) }
        case .xor(let a, let b):
            let l = try compile(a, at: location), r = try compile(b, at: location)
            return { l($0) != r($0) }
        case .nand(let a, let b):
            let l = try compile(a, at: location), r = try compile(b, at: location)
            return { !(l($0) && r($0)) }
        case .not(let inner):
            if case .truthy(let o) = inner { return try compileTruthy(o, negated: true, at: location) }
            let c = try compile(inner, at: location)
            return { !c($0) }
        case .truthy(let o):
            return try compileTruthy(o, negated: false, at: location)
        case .compare(let a, let op, let b):
            return try compileCompare(side(a), op, side(b))
        case .match(let a, let pattern, let negated):
            return try compileMatch(side(a), pattern, negated: negated, at: location)
        case .contains(let a, let b, let negated):
            return try compileIn(side(a), side(b), negated: negated, at: location)
        }
    }

    // MARK: operands

    /// One side of a comparison: a constant, or a field looked up per event.
    enum Side {
        case constant(Value)
        case field(FieldLookup)
    }

    static func side(_ o: Operand) -> Side {
        if case .field(let ref) = o { return .field(FieldLookup(ref)) }
        return .constant(constant(o))
    }

    static func constant(_ o: Operand) -> Value {
        switch o {
        case .string(let s), .regex(let s): return .string(s)
        case .number(let n):
            if let i = Int64(n) { return .int(i) }
            return .double(Double(n) ?? 0)
        case .array(let a): return .array(a.map(constant))
        case .field: return .null
        }
    }

    // MARK: truthy, comparisons

    private static func compileTruthy(_ o: Operand, negated: Bool, at location: SourceLocation) throws(ConfigError) -> Condition {
        switch side(o) {
        case .constant(let v):
            let result = ConditionValues.truthy(v) != negated
            return { _ in result }
        case .field(let f):
            return { ConditionValues.truthy(f($0)) != negated }
        }
    }

    private static func compileCompare(_ l: Side, _ op: CompareOperator, _ r: Side) throws(ConfigError) -> Condition {
        switch op {
        case .eq: return equality(l, r, negated: false)
        case .ne: return equality(l, r, negated: true)
        case .lt: return binary(l, r) { ConditionValues.order($0, $1).map { $0 < 0 } ?? false }
        case .gt: return binary(l, r) { ConditionValues.order($0, $1).map { $0 > 0 } ?? false }
        case .le: return binary(l, r) { ConditionValues.order($0, $1).map { $0 <= 0 } ?? false }
        case .ge: return binary(l, r) { ConditionValues.order($0, $1).map { $0 >= 0 } ?? false }
        }
    }

    /// `==` / `!=`, with direct paths for a field against a string or integer constant.
    private static func equality(_ l: Side, _ r: Side, negated: Bool) -> Condition {
        var field: FieldLookup?, constant: Value?
        if case .field(let f) = l, case .constant(let c) = r { (field, constant) = (f, c) }
        if case .constant(let c) = l, case .field(let f) = r { (field, constant) = (f, c) }
        if let f = field {
            switch constant {
            case .string(let c)?:
                return { ev in
                    if case .string(let s)? = f(ev) { return (s == c) != negated }
                    return negated
                }
            case .int(let c)?:
                let d = Double(c)
                return { ev in
                    switch f(ev) {
                    case .int(let i)?: return (i == c) != negated
                    case .double(let x)?: return (x == d) != negated
                    default: return negated
                    }
                }
            default:
                break
            }
        }
        return binary(l, r) { ConditionValues.equal($0, $1) != negated }
    }

    /// Applies `test` to both sides, folding constants at compile time.
    static func binary(_ l: Side, _ r: Side, _ test: @escaping (Value?, Value?) -> Bool) -> Condition {
        switch (l, r) {
        case (.constant(let a), .constant(let b)):
            let result = test(a, b)
            return { _ in result }
        case (.field(let a), .constant(let b)):
            return { test(a($0), b) }
        case (.constant(let a), .field(let b)):
            return { test(a, b($0)) }
        case (.field(let a), .field(let b)):
            return { test(a($0), b($0)) }
        }
    }

    // MARK: regular expressions

    private static func compileMatch(_ l: Side, _ pattern: Operand, negated: Bool,
                                     at location: SourceLocation) throws(ConfigError) -> Condition {
        let text: String
        switch pattern {
        case .regex(let p), .string(let p): text = p
        default:
            throw ConfigError(location: location,
                              message: "the right side of `\(negated ? "!~" : "=~")` must be a regular expression `/.../` or a string, not \(pattern)")
        }
        let regex: Regex
        do {
            regex = try Regex(text, options: regexOptions)
        } catch {
            throw ConfigError(location: location, message: "invalid regular expression `\(text)`: \(error.message)")
        }
        switch l {
        case .constant(let v):
            let result: Bool
            if case .string(let s) = v { result = regex.matches(s) != negated } else { result = negated }
            return { _ in result }
        case .field(let f):
            return { ev in
                if case .string(let s)? = f(ev) { return regex.matches(s) != negated }
                return negated
            }
        }
    }

    // MARK: in

    /// `a in b`. With a constant list on the right, Logstash compares the field's text
    /// with each element's (`"200" in [200]` holds); numeric equality also counts here.
    /// A constant string on the right is searched for the field's string. Otherwise see
    /// `ConditionValues.contains`.
    private static func compileIn(_ l: Side, _ r: Side, negated: Bool,
                                  at location: SourceLocation) throws(ConfigError) -> Condition {
        if case .constant(.array) = l {
            throw ConfigError(location: location, message: "the left side of `in` must be a field or a single value, not an array")
        }
        if case .field(let f) = l, case .constant(.array(let list)) = r {
            let texts = list.compactMap(ConditionValues.scalarText)
            let set = texts.count >= 8 ? Set(texts) : nil
            return { ev in
                guard let v = f(ev), let t = ConditionValues.scalarText(v) else { return negated }
                let found = set?.contains(t) ?? texts.contains(t)
                if found { return !negated }
                for e in list where ConditionValues.equal(v, e) { return !negated }
                return negated
            }
        }
        if case .field(let f) = l, case .constant(let c) = r, let text = ConditionValues.scalarText(c) {
            return { ev in
                guard case .string(let s)? = f(ev) else { return negated }
                return ConditionValues.substring(text, s) != negated
            }
        }
        if case .constant(.string(let needle)) = l, case .field(let f) = r {
            let item = Value.string(needle)
            return { ev in
                switch f(ev) {
                case .string(let s)?: return ConditionValues.substring(s, needle) != negated
                case .array(let a)?: return a.contains(item) != negated
                default: return negated
                }
            }
        }
        return binary(l, r) { ConditionValues.contains($0, in: $1) != negated }
    }
}

/// A parsed field reference ready for fast lookup; a single-name reference skips the path walk.
struct FieldLookup {
    let ref: FieldReference
    let key: String
    let single: Bool

    init(_ ref: FieldReference) {
        self.ref = ref
        key = ref.path.first ?? ""
        single = ref.path.count == 1
    }

    /// The field's value, with JSON null reported as missing.
    @inline(__always)
    func callAsFunction(_ event: Event) -> Value? {
        let v = single ? event.fields[key] : event[ref]
        if case .null? = v { return nil }
        return v
    }
}

/// Conditions of `if` / `else if`, as written (see `ConditionCompiler` for their meaning).
public indirect enum Expression: Sendable, Equatable {
    case and(Expression, Expression)
    case or(Expression, Expression)
    case xor(Expression, Expression)
    case nand(Expression, Expression)
    case not(Expression)
    case compare(Operand, CompareOperator, Operand)
    /// `a =~ b` (`negated`: `a !~ b`); `b` is a regex literal or a string.
    case match(Operand, Operand, negated: Bool)
    /// `a in b` (`negated`: `a not in b`).
    case contains(Operand, Operand, negated: Bool)
    /// A bare rvalue, e.g. `if [tags] { }`.
    case truthy(Operand)
}

public enum CompareOperator: String, Sendable {
    case eq = "==", ne = "!=", lt = "<", gt = ">", le = "<=", ge = ">="
}

public indirect enum Operand: Sendable, Equatable {
    case field(FieldReference)
    case string(String)
    /// The number as written.
    case number(String)
    /// The pattern between the slashes, as written (`\/` kept).
    case regex(String)
    case array([Operand])
}

extension Expression: CustomStringConvertible {
    /// The condition in configuration syntax, fully parenthesized.
    public var description: String {
        switch self {
        case .and(let a, let b): return "(\(a) and \(b))"
        case .or(let a, let b): return "(\(a) or \(b))"
        case .xor(let a, let b): return "(\(a) xor \(b))"
        case .nand(let a, let b): return "(\(a) nand \(b))"
        case .not(.truthy(.field(let f))): return "!\(Operand.field(f))"
        case .not(let e): return "!(\(e))"
        case .compare(let a, let op, let b): return "\(a) \(op.rawValue) \(b)"
        case .match(let a, let b, let n): return "\(a) \(n ? "!~" : "=~") \(b)"
        case .contains(let a, let b, let n): return "\(a) \(n ? "not in" : "in") \(b)"
        case .truthy(let o): return o.description
        }
    }
}

extension Operand: CustomStringConvertible {
    public var description: String {
        switch self {
        case .field(let f): return f.path.map { "[\($0)]" }.joined()
        case .string(let s): return "\"\(s)\""
        case .number(let n): return n
        case .regex(let r): return "/\(r)/"
        case .array(let a): return "[" + a.map(\.description).joined(separator: ", ") + "]"
        }
    }
}

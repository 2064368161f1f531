/// Bounds on what a configuration may nest. The parser, the condition compiler, field
/// references and templates recurse over what the user wrote; without a bound a file
/// nested a few thousand levels deep overflows the stack and kills the host with no
/// message. A thousand levels is far beyond any real pipeline.
public enum ConfigLimits {
    /// Deepest nesting of blocks, values, conditions and field-reference selectors.
    public static let maxNesting = 1000

    /// The message every construct uses when it nests too deeply.
    public static var nestingMessage: String { "nesting deeper than \(maxNesting) levels" }
}

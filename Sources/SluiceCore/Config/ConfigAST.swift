/// The syntax tree of a pipeline configuration, after parsing, escape processing,
/// `${VAR}` substitution and duplicate-setting merging; before plugin instantiation.

public enum SectionKind: String, Sendable, CaseIterable {
    case input, filter, output
}

/// All sections of one or more sources, combined in source order.
public struct PipelineConfig: Sendable {
    public var inputs: [Statement]
    public var filters: [Statement]
    public var outputs: [Statement]
    public var sources: [SourceFile]
    /// True when some source has an `input { }` section (even an empty one). As with
    /// `logstash -e`, the caller adds its default input only when there is none.
    public var hasInputs: Bool
    /// True when some source has an `output { }` section (even an empty one).
    public var hasOutputs: Bool

    public init(inputs: [Statement] = [], filters: [Statement] = [], outputs: [Statement] = [],
                sources: [SourceFile] = [], hasInputs: Bool? = nil, hasOutputs: Bool? = nil) {
        self.inputs = inputs
        self.filters = filters
        self.outputs = outputs
        self.sources = sources
        self.hasInputs = hasInputs ?? !inputs.isEmpty
        self.hasOutputs = hasOutputs ?? !outputs.isEmpty
    }

    public func statements(_ section: SectionKind) -> [Statement] {
        switch section {
        case .input: return inputs
        case .filter: return filters
        case .output: return outputs
        }
    }

    /// Appends another source's sections after this one's: inputs and outputs are
    /// gathered, filters chained in order, as Logstash combines `-f` directories.
    public mutating func append(_ other: PipelineConfig) {
        inputs += other.inputs
        filters += other.filters
        outputs += other.outputs
        sources += other.sources
        hasInputs = hasInputs || other.hasInputs
        hasOutputs = hasOutputs || other.hasOutputs
    }
}

public indirect enum Statement: Sendable, Equatable {
    case plugin(PluginNode)
    case conditional(Conditional)
}

/// `name { settings }` in a section, or as a setting's value (a codec).
public struct PluginNode: Sendable, Equatable {
    public var name: String
    public var settings: [Setting]
    public var location: SourceLocation
    /// The section the plugin is in; nil for a plugin-valued setting (a codec).
    public var section: SectionKind?

    public init(name: String, settings: [Setting], location: SourceLocation, section: SectionKind?) {
        self.name = name
        self.settings = settings
        self.location = location
        self.section = section
    }

    /// The (merged) value of setting `name`, if given.
    public subscript(setting name: String) -> ConfigValue? {
        settings.first { $0.name == name }?.value
    }
}

/// `name => value` inside a plugin.
public struct Setting: Sendable, Equatable {
    public var name: String
    public var value: ConfigValue
    /// Where the setting's name is.
    public var location: SourceLocation
    /// Where its (first) value starts.
    public var valueLocation: SourceLocation

    public init(name: String, value: ConfigValue, location: SourceLocation, valueLocation: SourceLocation) {
        self.name = name
        self.value = value
        self.location = location
        self.valueLocation = valueLocation
    }
}

public indirect enum ConfigValue: Sendable, Equatable {
    case string(String)
    /// The number as written (`5044`, `-1.5`); convert with `intValue`/`doubleValue`.
    case number(String)
    case bareword(String)
    case array([ConfigValue])
    case hash([HashEntry])
    case plugin(PluginNode)
}

/// `key => value` inside a hash literal.
public struct HashEntry: Sendable, Equatable {
    public var key: String
    public var value: ConfigValue
    /// Where the key is.
    public var location: SourceLocation

    public init(key: String, value: ConfigValue, location: SourceLocation) {
        self.key = key
        self.value = value
        self.location = location
    }
}

/// `if … { } else if … { } else { }`
public struct Conditional: Sendable, Equatable {
    public var branches: [Branch]
    public var elseBody: [Statement]?

    public init(branches: [Branch], elseBody: [Statement]?) {
        self.branches = branches
        self.elseBody = elseBody
    }
}

public struct Branch: Sendable, Equatable {
    public var condition: Expression
    public var body: [Statement]
    /// Where the condition starts (just after `if`).
    public var location: SourceLocation

    public init(condition: Expression, body: [Statement], location: SourceLocation) {
        self.condition = condition
        self.body = body
        self.location = location
    }
}

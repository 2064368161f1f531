/// A statement tree whose plugins were validated: what a pipeline file means, built
/// without I/O. `sluice check` stops here; `run` instantiates per-worker filters from it.
indirect enum PlanNode<P> {
    case plugin(P)
    case conditional(branches: [(condition: Expression, location: SourceLocation, body: [PlanNode<P>])],
                     otherwise: [PlanNode<P>]?)
}

struct FilterPlan {
    let type: any FilterPlugin.Type
    let settings: PluginSettings
}

/// The validated pipeline: input and output instances, filter plans.
public struct PipelinePlan {
    var inputs: [(plugin: any InputPlugin, decoration: InputDecoration, id: String, location: SourceLocation?)] = []
    var filters: [PlanNode<FilterPlan>] = []
    var outputs: [(plugin: any OutputPlugin, id: String, location: SourceLocation?)] = []
    var outputTree: [PlanNode<Int>] = []
    let context: PluginContext

    public var inputIds: [String] { inputs.map(\.id) }
    public var outputIds: [String] { outputs.map(\.id) }

    /// Validates every plugin and setting of `config`, collecting all errors before failing.
    public init(config: PipelineConfig, registry: PluginRegistry, context: PluginContext) throws(ConfigErrors) {
        // Settings and conditions are walked recursively, up to `ConfigLimits.maxNesting`
        // levels deep: do it where that fits, whatever thread asks.
        self = try LargeStack.run { PipelinePlan.build(config, registry, context) }.get()
    }

    private static func build(_ config: PipelineConfig, _ registry: PluginRegistry,
                              _ context: PluginContext) -> Result<PipelinePlan, ConfigErrors> {
        do throws(ConfigErrors) {
            return .success(try PipelinePlan(validating: config, registry: registry, context: context))
        } catch {
            return .failure(error)
        }
    }

    private init(validating config: PipelineConfig, registry: PluginRegistry, context: PluginContext) throws(ConfigErrors) {
        self.context = context
        var v = SettingsValidator(registry: registry, context: context)
        var errors: [ConfigError] = []

        for node in PipelinePlan.flatten(config.inputs, &errors, section: "input") {
            guard let s = v.settings(for: node, kind: .input), let t = registry.inputs[node.name] else { continue }
            do { inputs.append((try t.init(settings: s, context: context), InputDecoration(settings: s), s.id, node.location)) }
            catch { errors.append(ConfigError.wrap(error, at: node.location)) }
        }

        func plan<P>(_ statements: [Statement], _ leaf: (PluginNode) -> P?) -> [PlanNode<P>] {
            statements.compactMap { st -> PlanNode<P>? in
                switch st {
                case .plugin(let node): return leaf(node).map { .plugin($0) }
                case .conditional(let c):
                    let branches = c.branches.map { b in
                        // Compiling once here reports bad regexes and field references now;
                        // workers compile their own copies.
                        do { _ = try ConditionCompiler.compile(b.condition, at: b.location) }
                        catch { errors.append(ConfigError.wrap(error, at: b.location)) }
                        return (b.condition, b.location, plan(b.body, leaf))
                    }
                    return .conditional(branches: branches, otherwise: c.elseBody.map { plan($0, leaf) })
                }
            }
        }

        filters = plan(config.filters) { node in
            guard let s = v.settings(for: node, kind: .filter), let t = registry.filters[node.name] else { return nil }
            do { _ = try t.init(settings: s, context: context) }  // validates semantic settings
            catch { errors.append(ConfigError.wrap(error, at: node.location)); return nil }
            return FilterPlan(type: t, settings: s)
        }
        var outs: [(any OutputPlugin, String, SourceLocation?)] = []
        outputTree = plan(config.outputs) { node in
            guard let s = v.settings(for: node, kind: .output), let t = registry.outputs[node.name] else { return nil }
            do { outs.append((try t.init(settings: s, context: context), s.id, node.location)) }
            catch { errors.append(ConfigError.wrap(error, at: node.location)); return nil }
            return outs.count - 1
        }
        outputs = outs.map { ($0.0, $0.1, $0.2) }
        errors.insert(contentsOf: v.errors, at: 0)
        let secrets = v.secrets
        errors = errors.map { $0.redacting(secrets) }
        if !errors.isEmpty { throw ConfigErrors(errors.sorted { ($0.location?.sortKey ?? "") < ($1.location?.sortKey ?? "") }) }
    }

    /// Inputs cannot sit inside conditionals (Logstash rejects that too).
    private static func flatten(_ statements: [Statement], _ errors: inout [ConfigError], section: String) -> [PluginNode] {
        statements.compactMap { st in
            switch st {
            case .plugin(let p): return p
            case .conditional(let c):
                errors.append(ConfigError(location: c.branches.first?.location,
                                          message: "conditionals are not allowed in the \(section) section"))
                return nil
            }
        }
    }
}

extension SourceLocation {
    var sortKey: String { "\(file)\u{0}\(String(repeating: "0", count: max(0, 8 - String(line).count)))\(line):\(column)" }
}

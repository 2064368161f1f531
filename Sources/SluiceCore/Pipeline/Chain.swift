extension Event {
    /// Moves the event out, leaving an empty one (no reference counting on the way).
    @inline(__always)
    mutating func take() -> Event {
        var out = Event(fields: FieldMap(), stamp: false)
        swap(&out, &self)
        return out
    }
}

/// Scratch space one worker reuses for every batch.
struct WorkerScratch {
    var context = FilterContext()
    /// Events that came out of the filter section.
    var filtered: [Event] = []
    /// Events routed to each output, by output index.
    var routes: [[Event]]

    init(outputs: Int) { routes = Array(repeating: [], count: outputs) }
}

/// One compiled step: handles an event, then hands it (or what became of it) to the next step.
/// Compiling the statement tree into continuation closures keeps event order, lets filters
/// drop or split events, and evaluates each condition once per event.
typealias Step = (inout Event, inout WorkerScratch) -> Void

enum ChainCompiler {
    /// Compiles the filter section for one worker, with its own filter instances.
    static func filters(_ nodes: [PlanNode<FilterPlan>], context: PluginContext) throws -> Step {
        try compile(nodes, then: { ev, s in s.filtered.append(ev.take()) }) { plan, next in
            let filter = try plan.type.init(settings: plan.settings, context: context)
            let decoration = FilterDecoration(settings: plan.settings)
            return { ev, s in
                let result = filter.filter(&ev, &s.context)
                var emitted: [Event] = []
                if !s.context.emitted.isEmpty { swap(&emitted, &s.context.emitted) }
                switch result {
                case .matched:
                    decoration.apply(to: &ev)
                    next(&ev, &s)
                case .unmatched:
                    next(&ev, &s)
                case .drop:
                    break
                }
                for var e in emitted {
                    if case .matched = result { decoration.apply(to: &e) }
                    next(&e, &s)
                }
            }
        }
    }

    /// Compiles the output section: each output statement routes the event to that output.
    static func outputs(_ nodes: [PlanNode<Int>]) throws -> Step {
        try compile(nodes, then: { _, _ in }) { index, next in
            return { ev, s in
                s.routes[index].append(ev)
                next(&ev, &s)
            }
        }
    }

    private static func compile<P>(_ nodes: [PlanNode<P>], then last: @escaping Step,
                                   leaf: (P, @escaping Step) throws -> Step) throws -> Step {
        var next = last
        for node in nodes.reversed() {
            switch node {
            case .plugin(let p):
                next = try leaf(p, next)
            case .conditional(let branches, let otherwise):
                let after = next
                let compiled: [(Condition, Step)] = try branches.map { b in
                    (try ConditionCompiler.compile(b.condition, at: b.location), try compile(b.body, then: after, leaf: leaf))
                }
                let elseStep = try otherwise.map { try compile($0, then: after, leaf: leaf) } ?? after
                next = { ev, s in
                    for (condition, body) in compiled where condition(ev) {
                        body(&ev, &s)
                        return
                    }
                    elseStep(&ev, &s)
                }
            }
        }
        return next
    }
}

/// The filter common options applied when a filter succeeds, in Logstash's order:
/// add_field, remove_field, add_tag, remove_tag. Names that hold no `%{}` are parsed once.
struct FilterDecoration {
    /// A field name: parsed at config time, or a template rendered and parsed per event.
    enum Name {
        case fixed(FieldReference)
        case templated(Template)

        init(_ text: String) {
            let t = Template(text)
            if t.isConstant, let ref = try? FieldReference(parsing: text) { self = .fixed(ref) } else { self = .templated(t) }
        }

        func resolve(_ event: Event) -> FieldReference? {
            switch self {
            case .fixed(let r): return r
            case .templated(let t): return try? FieldReference(parsing: t.render(event))
            }
        }
    }

    let addFields: [(Name, Template)]
    let removeFields: [Name]
    let addTags: [Template]
    let removeTags: [Template]
    let isEmpty: Bool

    init(settings: PluginSettings) {
        addFields = settings.hash("add_field").map { (Name($0.key), Template($0.value.renderedString)) }
        removeFields = settings.strings("remove_field").map { Name($0) }
        addTags = settings.strings("add_tag").map { Template($0) }
        removeTags = settings.strings("remove_tag").map { Template($0) }
        isEmpty = addFields.isEmpty && removeFields.isEmpty && addTags.isEmpty && removeTags.isEmpty
    }

    func apply(to event: inout Event) {
        if isEmpty { return }
        for (name, value) in addFields {
            if let ref = name.resolve(event) { event.addField(ref, value.render(event)) }
        }
        for f in removeFields {
            if let ref = f.resolve(event) { event.remove(ref) }
        }
        for t in addTags { event.addTag(t.render(event)) }
        for t in removeTags { event.removeTag(t.render(event)) }
    }
}

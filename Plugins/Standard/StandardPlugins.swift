import SluiceCore

/// The standard family: stdin, stdout, generator, file in/out, csv, dead_letter_queue, null; mutate, drop, json, date.
public enum StandardPlugins {
    public static func register(into r: inout PluginRegistry) {
        r.register(StdinInput.self)
        r.register(GeneratorInput.self)
        r.register(FileInput.self)
        r.register(DeadLetterQueueInput.self)
        r.register(MutateFilter.self)
        r.register(DropFilter.self)
        r.register(JSONFilter.self)
        r.register(DateFilter.self)
        r.register(StdoutOutput.self)
        r.register(FileOutput.self)
        r.register(CSVOutput.self)
        r.register(NullOutput.self)
    }
}

import ArgumentParser
import GrokPlugins
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

/// `sluice grok`: a grok debugger. Matches each line of stdin against a pattern and prints
/// what the grok filter would capture, as one JSON object per line.
struct GrokCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grok",
        abstract: "Tries a grok pattern on lines from stdin, or lists the known patterns.",
        discussion: """
            Prints one JSON object per input line: the captured fields, or \
            {"tags":["_grokparsefailure"]} when the line does not match \
            ({"tags":["_groktimeout"]} when the pattern ran out of time).
            Exit status: 0 when every line matched, 1 when some did not, 2 on a pattern error.

              sluice grok '%{COMBINEDAPACHELOG}' < access.log
              sluice grok --list HTTPD
            """)

    @Argument(help: "The pattern, e.g. '%{IP:client} %{WORD:method}'. With --list: a filter on pattern names.")
    var pattern: String?

    @Flag(name: .long, help: "List the known patterns (name and regex) instead of matching.")
    var list = false

    @Option(name: .customLong("patterns-dir"), help: "A directory (or file) of pattern files in Logstash's format; repeatable.")
    var patternsDir: [String] = []

    @Option(name: .customLong("patterns-files-glob"), help: "Which files of each --patterns-dir to read.")
    var patternsFilesGlob = "*"

    @Option(name: .customLong("define"), help: "An extra pattern, NAME=REGEX; repeatable.")
    var definitions: [String] = []

    @Option(name: .customLong("ecs"), help: "Built-in pattern set: disabled (legacy field names), v1 or v8 (ECS).")
    var ecs = "v8"

    @Option(name: .customLong("timeout-millis"), help: "Time budget per line (as the filter's timeout_millis); 0 disables.")
    var timeoutMillis = 30000

    @Flag(name: .customLong("keep-empty-captures"), help: "Keep captures that matched nothing.")
    var keepEmptyCaptures = false

    @Flag(name: .customLong("all-captures"), help: "Also store %{NAME} without a field name (named_captures_only => false).")
    var allCaptures = false

    func validate() throws {
        guard GrokECSMode(rawValue: ecs) != nil else {
            throw ValidationError("--ecs must be one of " + GrokECSMode.allCases.map(\.rawValue).joined(separator: ", "))
        }
        if !list && pattern == nil { throw ValidationError("give a pattern, or --list") }
        for d in definitions where !d.contains("=") {
            throw ValidationError("--define expects NAME=REGEX, got `\(d)`")
        }
    }

    func run() throws {
        let library: GrokLibrary
        do { library = try makeLibrary() } catch {
            FileHandleStderr.write("error: \(error.message)\n")
            throw ExitCode(2)
        }
        if list {
            printList(library)
            return
        }
        let debugger: GrokDebugger
        do {
            debugger = try GrokDebugger(pattern: pattern ?? "", library: library, timeoutMillis: timeoutMillis,
                                        namedCapturesOnly: !allCaptures, keepEmptyCaptures: keepEmptyCaptures)
        } catch {
            FileHandleStderr.write("error: \(error.message)\n")
            throw ExitCode(2)
        }
        var allMatched = true
        var out: [UInt8] = []
        LineReader.forEachLine(fd: 0) { line in
            switch debugger.match(line) {
            case .matched(let fields): JSON.encode(.object(fields), into: &out)
            case .noMatch: out.append(contentsOf: #"{"tags":["_grokparsefailure"]}"#.utf8); allMatched = false
            case .timedOut: out.append(contentsOf: #"{"tags":["_groktimeout"]}"#.utf8); allMatched = false
            }
            out.append(10)
            if out.count >= 1 << 16 { LineReader.writeStdout(&out) }
        }
        LineReader.writeStdout(&out)
        if !allMatched { throw ExitCode(1) }
    }

    private func makeLibrary() throws(GrokError) -> GrokLibrary {
        var library = GrokLibrary.builtIn(GrokECSMode(rawValue: ecs) ?? .v8)
        if !patternsDir.isEmpty { try library.addFiles(from: patternsDir, glob: patternsFilesGlob) }
        for d in definitions {
            guard let eq = d.firstIndex(of: "=") else { continue }
            library.define(String(d[..<eq]), String(d[d.index(after: eq)...]), origin: "--define")
        }
        return library
    }

    private func printList(_ library: GrokLibrary) {
        let filter = pattern?.lowercased()
        let names = library.names.filter { filter == nil || $0.lowercased().contains(filter ?? "") }
        let width = min(40, (names.map(\.count).max() ?? 0) + 2)
        for name in names {
            let regex = library[name]?.regex ?? ""
            print(name + String(repeating: " ", count: max(1, width - name.count)) + regex)
        }
    }
}

/// Reads a descriptor to the end and hands over each line (without its `\n`) as raw bytes.
enum LineReader {
    static func forEachLine(fd: Int32, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        var pending: [UInt8] = []
        var scanned = 0  // bytes of `pending` known to hold no line break
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            var start = 0
            pending.withUnsafeBufferPointer { buf in
                while let nl = buf[max(start, scanned)...].firstIndex(of: 10) {
                    body(UnsafeBufferPointer(rebasing: buf[start..<nl]))
                    start = nl + 1
                }
            }
            pending.removeFirst(start)
            scanned = pending.count
        }
        if !pending.isEmpty { pending.withUnsafeBufferPointer { body($0) } }
    }

    static func writeStdout(_ out: inout [UInt8]) {
        try? FileIO.writeAll(1, out, path: "stdout")
        out.removeAll(keepingCapacity: true)
    }
}

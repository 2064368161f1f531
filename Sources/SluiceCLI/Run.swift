import ArgumentParser
import Dispatch
import SluiceCore
#if canImport(Glibc)
import Glibc
#endif

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Runs a pipeline.")

    @OptionGroup var options: PipelineOptions

    @Flag(name: [.customShort("t"), .customLong("config.test_and_exit")],
          help: "Check the configuration and exit (same as `sluice check`).")
    var testAndExit = false

    func run() async throws {
        let prepared = try Prepared(options: options, openDeadLetterQueue: !testAndExit)
        if testAndExit {
            print("Configuration OK")
            return
        }
        var queue: (any EventQueue)? = nil
        if prepared.settings.queue.type == "persisted" {
            let dir = prepared.settings.queueDirectory
            do {
                queue = try PersistentQueue(directory: dir, settings: prepared.settings.queue, logger: prepared.logger)
            } catch {
                prepared.logger.error("cannot open the persistent queue: \(error)")
                throw ExitCode(1)
            }
        }
        let pipeline = Pipeline(plan: prepared.plan, settings: prepared.settings, queue: queue)
        let signals = SignalHandler(pipeline: pipeline, logger: prepared.logger)
        prepared.logger.info("pipeline started", metadata: [
            "workers": "\(prepared.settings.workers)", "batch_size": "\(prepared.settings.batchSize)",
            "inputs": "\(prepared.plan.inputIds.joined(separator: ","))",
            "outputs": "\(prepared.plan.outputIds.joined(separator: ","))"])
        do {
            try await pipeline.run()
        } catch let e as PluginStartError {
            prepared.deadLetterWriter?.close()
            FileHandleStderr.write("error: \(Secrets.redactRemembered("\(e)"))\n")
            throw ExitCode(1)
        } catch {
            prepared.deadLetterWriter?.close()
            prepared.logger.error("pipeline failed: \(error)")  // the handler redacts secrets
            throw ExitCode(1)
        }
        prepared.deadLetterWriter?.close()
        signals.cancel()
        prepared.logger.info("pipeline stopped")
    }
}

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Validates a pipeline without running it (like `logstash -t`).")

    @OptionGroup var options: PipelineOptions

    func run() async throws {
        _ = try Prepared(options: options)
        print("Configuration OK")
    }
}

/// Settings, logging and a validated plan: everything short of starting plugins.
/// `run` also opens the dead-letter queue (when enabled) here, as plugins get it at construction.
struct Prepared {
    let settings: PipelineSettings
    let logger: Logger
    let plan: PipelinePlan
    let deadLetterWriter: DeadLetterWriter?

    init(options: PipelineOptions, openDeadLetterQueue: Bool = false) throws {
        do {
            let settings = try options.pipelineSettings()
            self.settings = settings
            let level = SettingsFile.level(settings.logLevel)
            LogSetup.bootstrapOnce(level: level)
            var logger = Logger(label: "sluice")
            logger.logLevel = level
            self.logger = logger
            for warning in PipelineSettingSpecs.warnings(for: settings) { logger.warning("\(warning)") }
            let config = try options.loadConfig(settings: settings)
            var deadLetters = DeadLetterSink(logger: logger)
            deadLetterWriter = try Prepared.openDeadLetterQueue(settings, logger: logger, open: openDeadLetterQueue)
            if let deadLetterWriter { deadLetters = DeadLetterSink(writer: deadLetterWriter) }
            let context = PluginContext(logger: logger, pipeline: settings, deadLetters: deadLetters)
            plan = try PipelinePlan(config: config, registry: SluiceHost.registry(), context: context)
        } catch {
            throw UserError.exit(error)
        }
    }

    private static func openDeadLetterQueue(_ settings: PipelineSettings, logger: Logger, open: Bool) throws -> DeadLetterWriter? {
        guard open, settings.deadLetterQueue.enabled else { return nil }
        let dir = settings.deadLetterQueue.directory(pathData: settings.pathData, pipelineId: settings.id)
        do {
            return try DeadLetterWriter(directory: dir, settings: settings.deadLetterQueue, logger: logger)
        } catch {
            logger.error("cannot open the dead-letter queue: \(error)")
            throw ExitCode(1)
        }
    }
}

/// SIGINT/SIGTERM: the first drains in-flight events for at most `pipeline.shutdown_timeout`
/// and exits 0, a second exits at once. SIGHUP (Logstash's reload) is logged and ignored
/// until configuration reload exists. (SIGPIPE is ignored process-wide: see `SluiceHost.main`.)
final class SignalHandler {
    private let sources: [any DispatchSourceSignal]

    init(pipeline: Pipeline, logger: Logger) {
        var sources: [any DispatchSourceSignal] = []
        // libdispatch arms a signal source asynchronously; each leaves this group once armed,
        // and `init` waits for that (bounded), so a signal sent after start-up is not lost.
        let armed = DispatchGroup()
        signal(SIGHUP, SIG_IGN)
        let hup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hup.setEventHandler {
            logger.warning("SIGHUP received: configuration reload is not supported yet; ignoring")
        }
        armed.enter()
        hup.setRegistrationHandler { armed.leave() }
        hup.resume()
        sources.append(hup)
        let count = SignalCount()
        let timeout = pipeline.settings.shutdownTimeout
        for sig in [SIGINT, SIGTERM] {
            // No SIG_IGN first: libdispatch installs its handler when the source is armed
            // (asynchronously); until then a signal keeps its default action and ends the
            // process, instead of being ignored and lost (a SIGTERM at start-up hung it).
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler {
                if count.increment() == 1 {
                    logger.warning("signal \(sig) received: draining in-flight events for at most \(timeout) (send again to exit now)")
                    pipeline.stop()
                    // The pipeline aborts its writes when the timeout passes; a plugin stuck
                    // outside Swift's cancellation must not keep the process alive beyond it.
                    let grace = Double(timeout.components.seconds) + 10
                    DispatchQueue.global().asyncAfter(deadline: .now() + grace) {
                        logger.error("still not stopped \(Int(grace)) s after the signal: exiting; unacknowledged events stay at their source")
                        exit(0)
                    }
                } else {
                    logger.warning("second signal: exiting now")
                    exit(1)
                }
            }
            armed.enter()
            src.setRegistrationHandler { armed.leave() }
            src.resume()
            sources.append(src)
        }
        self.sources = sources
        _ = armed.wait(timeout: .now() + 2)
    }

    func cancel() { for s in sources { s.cancel() } }
}

import Synchronization
final class SignalCount: Sendable {
    private let n = Atomic<Int>(0)
    func increment() -> Int { n.add(1, ordering: .relaxed).newValue }
}

/// Errors in what the user wrote (a configuration, sluice.yml, a flag) already say where and
/// what: they are printed as they are and end the command with exit 1.
enum UserError {
    /// `error` printed and turned into exit 1 when it is one of those; otherwise unchanged.
    static func exit(_ error: any Error) -> any Error {
        switch error {
        case is ConfigError, is ConfigErrors, is SettingsFileError, is SettingsFlagError:
            FileHandleStderr.write("\(error)\n")
            return ExitCode(1)
        default:
            return error
        }
    }
}

enum FileHandleStderr {
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { buf in _ = Glibc.write(2, buf.baseAddress, buf.count) }
    }
}

enum LogSetup {
    private static let once = Atomic<Bool>(false)
    static func bootstrapOnce(level: Logger.Level) {
        guard !once.exchange(true, ordering: .relaxed) else { return }
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = level
            return RedactingLogHandler(h)
        }
    }
}

import Synchronization

/// A running pipeline.
///
/// ```
///  inputs ──send──▶ EventSink ──▶ queue (bounded) ──pop──▶ worker 1..N
///                                                      filters → route → outputs
///        ◀────────────── acknowledgement (all outputs confirmed) ──────────┘
/// ```
/// `run` starts the outputs, then the inputs (each `start` retried while its failure is
/// transient), runs until the inputs are done, drains, and closes every started plugin once.
/// `stop()` (SIGINT/SIGTERM) stops the inputs and drains what is in flight for at most
/// `pipeline.shutdown_timeout`; then `abort()` gives up on what is left, which its sources
/// still hold because it was never acknowledged.
public final class Pipeline: Sendable {
    public let settings: PipelineSettings
    private let plan: PipelinePlanBox
    private let queue: any EventQueue
    private let logger: Logger
    private let retries: RetryLog
    private let inputTask = Mutex<Task<Void, Never>?>(nil)
    private let workerTask = Mutex<Task<Void, Never>?>(nil)
    private let shutdownTimer = Mutex<Task<Void, Never>?>(nil)
    /// Inputs whose `start` succeeded: `stop()` tells them to stop.
    private let startedInputs = Mutex<[any InputPlugin]>([])
    private let stopping = Atomic<Bool>(false)
    private let aborting = Atomic<Bool>(false)
    /// An output reported its destination closed (logged once).
    private let closedOutput = Atomic<Bool>(false)
    /// Events taken from the queue whose batch is not resolved yet.
    private let inFlight = Atomic<Int>(0)

    public init(plan: PipelinePlan, settings: PipelineSettings, queue: (any EventQueue)? = nil) {
        self.settings = settings
        self.plan = PipelinePlanBox(plan)
        self.queue = queue ?? MemoryQueue(capacity: settings.effectiveQueueCapacity)
        self.logger = plan.context.logger
        self.retries = RetryLog(logger: plan.context.logger)
    }

    /// Runs until the inputs are done (or `stop()`), and every accepted batch was handled.
    /// Throws `PluginStartError` when a plugin cannot start for a reason a retry cannot fix.
    public func run() async throws {
        let plan = self.plan.value
        let workers = max(1, settings.workers)
        // Build every worker's filter chain before any input starts, so a failure starts nothing.
        // Conditions own PCRE2 match data, so each worker compiles its own copies.
        var chains: [Step] = [], routers: [Step] = []
        for _ in 0..<workers {
            chains.append(try ChainCompiler.filters(plan.filters, context: plan.context))
            routers.append(try ChainCompiler.outputs(plan.outputTree))
        }
        let box = StepsBox(chains: chains, routers: routers)

        guard let started = try await startPlugins() else {
            shutdownTimer.withLock { $0?.cancel() }
            return
        }
        let inputs = Task { await self.runInputs(started.inputs) }
        inputTask.withLock { $0 = inputs }
        if stopping.load(ordering: .acquiring) { inputs.cancel() }

        let workerGroup = Task {
            await withTaskGroup(of: Void.self) { group in
                for w in 0..<workers {
                    group.addTask { await self.work(chain: box.chains[w], router: box.routers[w]) }
                }
            }
        }
        workerTask.withLock { $0 = workerGroup }
        if aborting.load(ordering: .acquiring) { workerGroup.cancel() }

        await inputs.value
        // Inputs that finished on their own: deliver everything queued (a batch job);
        // after `stop()` the queue was already closed, draining only if configured to.
        queue.close(drain: true)
        await workerGroup.value
        await queue.finish()
        shutdownTimer.withLock { $0?.cancel() }
        await close(outputs: started.outputs)
    }

    /// Stops the inputs; in-flight events are still processed before `run` returns, for at
    /// most `pipeline.shutdown_timeout`. Only the first call does anything.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for input in startedInputs.withLock({ $0 }) { input.stop() }
        inputTask.withLock { $0?.cancel() }
        queue.close(drain: settings.queue.drain)
        let timeout = settings.shutdownTimeout
        let timer = Task { [weak self] in
            do { try await Task.sleep(for: timeout) } catch { return }
            self?.shutdownTimedOut()
        }
        shutdownTimer.withLock { $0 = timer }
    }

    /// Gives up on retries and in-flight writes (second signal, shutdown timeout): `run`
    /// returns without waiting for outputs; unfinished batches are acknowledged as failed.
    public func abort() {
        aborting.store(true, ordering: .releasing)
        stop()
        workerTask.withLock { $0?.cancel() }
    }

    /// An output's destination closed for good (`PluginError.Code.closed`): stop the pipeline
    /// like a finished input. Its batch and those after it fail, so their sources keep them.
    private func destinationClosed(_ what: String, _ e: PluginError) {
        guard !closedOutput.exchange(true, ordering: .relaxed) else { return }
        logger.info("\(what): \(e.message); stopping the pipeline (events not written stay at their source)")
        stop()
    }

    private func shutdownTimedOut() {
        var what = "\(inFlight.load(ordering: .relaxed)) events in flight"
        let retrying = retries.retrying
        if !retrying.isEmpty {
            what += " (" + retrying.map { "\($0.what) after \($0.attempts) attempts: \($0.lastError)" }.joined(separator: "; ") + ")"
        }
        logger.warning("""
            pipeline.shutdown_timeout (\(RetryLog.format(settings.shutdownTimeout))) passed: exiting with \(what) \
            not acknowledged; their sources keep them (queue, file position, offset) and deliver them again on restart
            """)
        abort()
    }

    // MARK: Start and close

    private struct Started {
        var inputs: [(plugin: any InputPlugin, decoration: InputDecoration, id: String)] = []
        var outputs: [(plugin: any OutputPlugin, id: String)] = []
    }

    /// Starts the outputs, then the inputs, so nothing is read before it can be written.
    /// Returns nil if the pipeline was stopped while a start was being retried.
    private func startPlugins() async throws -> Started? {
        let plan = self.plan.value
        var started = Started()
        do {
            for o in plan.outputs {
                guard try await start("output", o.id, o.location, o.plugin.start) else {
                    await close(outputs: started.outputs)
                    return nil
                }
                started.outputs.append((o.plugin, o.id))
            }
            for i in plan.inputs {
                guard try await start("input", i.id, i.location, i.plugin.start) else {
                    await close(inputs: started.inputs.map { ($0.plugin, $0.id) })
                    await close(outputs: started.outputs)
                    return nil
                }
                started.inputs.append((i.plugin, i.decoration, i.id))
                startedInputs.withLock { $0.append(i.plugin) }
            }
        } catch {
            await close(inputs: started.inputs.map { ($0.plugin, $0.id) })
            await close(outputs: started.outputs)
            throw error
        }
        return started
    }

    /// Runs one plugin's `start`, retrying transient failures with backoff. Returns false if
    /// the pipeline was stopped first; throws `PluginStartError` on a permanent failure.
    private func start(_ kind: String, _ id: String, _ location: SourceLocation?,
                       _ body: () async throws -> Void) async throws -> Bool {
        var backoff = Backoff(initial: .seconds(1), max: .seconds(60))
        var attempt = 0
        let what = "\(kind) \(id)"
        while !stopping.load(ordering: .acquiring) {
            attempt += 1
            do {
                try await body()
                retries.succeeded(what)
                return true
            } catch is CancellationError {
                return false
            } catch {
                let e = PluginError.from(error, pluginId: id)
                guard e.retriable else { throw PluginStartError(kind: kind, pluginId: id, location: location, cause: e) }
                let delay = backoff.next()
                retries.failed("\(what) (start)", attempt: attempt, error: e, retryIn: delay)
                await sleep(delay, until: { self.stopping.load(ordering: .acquiring) })
            }
        }
        return false
    }

    private func close(inputs: [(plugin: any InputPlugin, id: String)]) async {
        for (input, id) in inputs {
            do { try await input.close() } catch { logger.error("input \(id): close failed: \(error)") }
        }
    }

    private func close(outputs: [(plugin: any OutputPlugin, id: String)]) async {
        for (output, id) in outputs {
            do { try await output.close() } catch { logger.error("output \(id): close failed: \(error)") }
        }
    }

    /// Sleeps for `delay` in short slices, returning early once `stop` holds.
    private func sleep(_ delay: Duration, until stop: () -> Bool) async {
        var left = delay
        while left > .zero, !stop() {
            let slice = min(left, .milliseconds(100))
            do { try await Task.sleep(for: slice) } catch { return }
            left -= slice
        }
    }

    // MARK: Running

    private func runInputs(_ inputs: [(plugin: any InputPlugin, decoration: InputDecoration, id: String)]) async {
        await withTaskGroup(of: Void.self) { group in
            for (input, decoration, id) in inputs {
                let sink = EventSink(queue: queue, decoration: decoration, batchSize: settings.batchSize)
                group.addTask {
                    await self.runInput(input, id: id, sink: sink)
                    do { try await input.close() } catch { self.logger.error("input \(id): close failed: \(error)") }
                }
            }
        }
    }

    /// Runs an input until it finishes, restarting it with backoff when it fails.
    private func runInput(_ input: any InputPlugin, id: String, sink: EventSink) async {
        var backoff = Backoff(initial: .seconds(1), max: .seconds(60))
        var attempt = 0
        while !Task.isCancelled {
            attempt += 1
            do {
                try await input.run(into: sink)
                return
            } catch is QueueClosedError {
                return
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled || stopping.load(ordering: .acquiring) { return }
                let delay = backoff.next()
                retries.failed("input \(id)", attempt: attempt, error: PluginError.from(error, pluginId: id), retryIn: delay)
                await sleep(delay, until: { self.stopping.load(ordering: .acquiring) })
            }
        }
    }

    private func work(chain: Step, router: Step) async {
        let plan = self.plan.value
        let outputs = plan.outputs
        let hasFilters = !plan.filters.isEmpty
        // Without output conditionals every event goes to every output: no routing step.
        let unconditional = plan.outputTree.allSatisfy { if case .plugin = $0 { return true } else { return false } }
        // Batches this worker may have in the outputs at once: what the least concurrent
        // output allows, and one when `pipeline.ordered` keeps a single worker's order.
        let ordered = settings.ordered == "true" || (settings.ordered == "auto" && max(1, settings.workers) == 1)
        let concurrency = ordered ? 1 : max(1, outputs.map(\.plugin.writeConcurrency).min() ?? 1)
        var scratch = WorkerScratch(outputs: outputs.count)
        await withTaskGroup(of: Void.self) { writes in
            var writing = 0
            while var batch = await queue.pop(maxEvents: settings.batchSize, maxDelay: settings.batchDelay) {
                let count = batch.events.count
                inFlight.add(count, ordering: .relaxed)
                // After an abort, what is left is not written: its sources keep it.
                if aborting.load(ordering: .acquiring) {
                    batch.resolve(.failed)
                    inFlight.subtract(count, ordering: .relaxed)
                    continue
                }
                // Take the events out of the batch: a second reference would make the first
                // change to each event copy its fields (copy-on-write).
                var events: [Event] = []
                swap(&events, &batch.events)
                if hasFilters {
                    for i in events.indices { chain(&events[i], &scratch) }
                    swap(&events, &scratch.filtered)
                    scratch.filtered.removeAll(keepingCapacity: true)
                }
                var writesOfBatch: [(output: Int, events: [Event])] = []
                if unconditional {
                    if !events.isEmpty { writesOfBatch = outputs.indices.map { ($0, events) } }
                    // The outputs hold the only references: an output's `prepare` changes
                    // its events in place instead of copying them.
                    events = []
                } else {
                    for i in events.indices { router(&events[i], &scratch) }
                    events = []
                    for i in outputs.indices where !scratch.routes[i].isEmpty {
                        writesOfBatch.append((i, scratch.routes[i]))
                        scratch.routes[i].removeAll(keepingCapacity: true)
                    }
                }
                if concurrency == 1 {
                    await deliver(batch, count: count, writesOfBatch)
                    continue
                }
                if writing == concurrency {
                    await writes.next()
                    writing -= 1
                }
                let ready = batch
                writes.addTask { await self.deliver(ready, count: count, writesOfBatch) }
                writing += 1
            }
        }
    }

    /// Writes one batch's events to their outputs, one output after the other, and resolves
    /// the batch: delivered only if every output confirmed (or dead-lettered) its events.
    private func deliver(_ batch: Batch, count: Int, _ writes: [(output: Int, events: [Event])]) async {
        let outputs = plan.value.outputs
        var delivered = true
        for write in writes {
            let output = outputs[write.output]
            if !(await deliver(write.events, to: output.plugin, id: output.id)) { delivered = false }
        }
        // Dead letters must be on disk before the batch counts as delivered.
        if !plan.value.context.deadLetters.flush() { delivered = false }
        batch.resolve(delivered ? .delivered : .failed)
        inFlight.subtract(count, ordering: .relaxed)
    }

    /// Writes to one output, retrying transient failures with capped exponential backoff
    /// until it succeeds or the pipeline is aborted. Returns false when aborted, or when an
    /// event the output gave up on could not be stored in the dead-letter queue.
    private func deliver(_ batch: [Event], to output: any OutputPlugin, id: String) async -> Bool {
        var backoff = output.retryBackoff
        let dlq = plan.value.context.deadLetters
        let pluginType = type(of: output).pluginName
        let what = "output \(id)"
        var attempt = 0
        var events = batch
        output.prepare(&events)
        var stored = true
        while !aborting.load(ordering: .acquiring) {
            attempt += 1
            do {
                let outcome = try await output.write(events)
                for (index, reason) in outcome.rejected where events.indices.contains(index) {
                    if !dlq.write(events[index], pluginType: pluginType, pluginId: id, reason: reason) { stored = false }
                }
                let again = outcome.retry.filter { events.indices.contains($0.index) }
                if again.isEmpty {
                    if attempt > 1 { retries.succeeded(what) }
                    return stored
                }
                // Only the events that failed transiently are written again.
                events = again.map { events[$0.index] }
                let delay = backoff.next()
                let reason = PluginError("\(again.count) of the events failed: \(again[0].reason)", retriable: true, pluginId: id)
                retries.failed(what, attempt: attempt, error: reason, retryIn: delay)
                await sleep(delay, until: { self.aborting.load(ordering: .acquiring) })
            } catch let e as PluginError where e.code == .closed {
                destinationClosed(what, e)
                return false
            } catch let e as PluginError where !e.retriable {
                if attempt > 1 { retries.succeeded(what) }
                logger.error("\(what): \(e.message); sending \(events.count) events to the dead-letter queue")
                for ev in events where !dlq.write(ev, pluginType: pluginType, pluginId: id, reason: e.message) { stored = false }
                return stored
            } catch {
                if aborting.load(ordering: .acquiring) { break }
                let delay = backoff.next()
                retries.failed(what, attempt: attempt, error: PluginError.from(error, pluginId: id), retryIn: delay)
                await sleep(delay, until: { self.aborting.load(ordering: .acquiring) })
            }
        }
        return false
    }
}

/// A plugin could not start for a reason a retry cannot fix (bad credentials, a bucket that
/// does not exist): the pipeline does not run. Names the plugin, where it is configured, and why.
public struct PluginStartError: Error, CustomStringConvertible, Sendable {
    public let kind: String
    public let pluginId: String
    public let location: SourceLocation?
    public let cause: PluginError

    public var description: String {
        let at = location.map { " (\($0))" } ?? ""
        return "\(kind) \(pluginId)\(at) could not start: \(cause.message)"
    }
}

// Plans and compiled steps hold non-Sendable filter types and closures; each worker
// uses only its own chain, and the plan is read-only once running.
private final class PipelinePlanBox: @unchecked Sendable {
    let value: PipelinePlan
    init(_ v: PipelinePlan) { value = v }
}

private final class StepsBox: @unchecked Sendable {
    let chains: [Step]
    let routers: [Step]
    init(chains: [Step], routers: [Step]) {
        self.chains = chains
        self.routers = routers
    }
}

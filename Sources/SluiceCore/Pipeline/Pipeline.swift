import Synchronization

/// A running pipeline.
///
/// ```
///  inputs ──send──▶ EventSink ──▶ queue (bounded) ──pop──▶ worker 1..N
///                                                      filters → route → outputs
///        ◀────────────── acknowledgement (all outputs confirmed) ──────────┘
/// ```
/// When every input finishes on its own, the queue drains and `run` returns.
/// `stop()` (SIGINT/SIGTERM) stops the inputs and drains what is in flight.
public final class Pipeline: Sendable {
    public let settings: PipelineSettings
    private let plan: PipelinePlanBox
    private let queue: any EventQueue
    private let logger: Logger
    private let inputTask = Mutex<Task<Void, Never>?>(nil)
    private let stopping = Atomic<Bool>(false)
    private let aborting = Atomic<Bool>(false)

    public init(plan: PipelinePlan, settings: PipelineSettings, queue: (any EventQueue)? = nil) {
        self.settings = settings
        self.plan = PipelinePlanBox(plan)
        self.queue = queue ?? MemoryQueue(capacity: settings.effectiveQueueCapacity)
        self.logger = plan.context.logger
    }

    /// Runs until the inputs are done (or `stop()`), and every accepted batch was handled.
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

        let inputs = Task { await self.runInputs() }
        inputTask.withLock { $0 = inputs }
        if stopping.load(ordering: .acquiring) { inputs.cancel() }

        await withTaskGroup(of: Void.self) { group in
            for w in 0..<workers {
                group.addTask { await self.work(chain: box.chains[w], router: box.routers[w]) }
            }
            await inputs.value
            // Inputs that finished on their own: deliver everything queued (a batch job);
            // after `stop()` the queue was already closed, draining only if configured to.
            queue.close(drain: true)
            await group.waitForAll()
        }
        await queue.finish()
        for (output, id) in plan.outputs {
            do { try await output.close() } catch { logger.error("output \(id): close failed: \(error)") }
        }
    }

    /// Stops the inputs; in-flight events are still processed before `run` returns.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        inputTask.withLock { $0?.cancel() }
        queue.close(drain: settings.queue.drain)
    }

    /// Gives up on retries (second signal): `run` returns without waiting for outputs.
    public func abort() {
        aborting.store(true, ordering: .releasing)
        stop()
    }

    private func runInputs() async {
        let plan = self.plan.value
        await withTaskGroup(of: Void.self) { group in
            for (input, decoration, id) in plan.inputs {
                let sink = EventSink(queue: queue, decoration: decoration, batchSize: settings.batchSize)
                group.addTask {
                    var backoff = Backoff(initial: .seconds(1), max: .seconds(60))
                    while !Task.isCancelled {
                        do {
                            try await input.run(into: sink)
                            return
                        } catch is QueueClosedError {
                            return
                        } catch is CancellationError {
                            return
                        } catch {
                            if Task.isCancelled || self.stopping.load(ordering: .acquiring) { return }
                            let delay = backoff.next()
                            self.logger.error("input \(id) failed: \(error); restarting in \(delay)")
                            try? await Task.sleep(for: delay)
                        }
                    }
                }
            }
        }
    }

    private func work(chain: Step, router: Step) async {
        let plan = self.plan.value
        let outputs = plan.outputs
        let hasFilters = !plan.filters.isEmpty
        // Without output conditionals every event goes to every output: no routing step.
        let unconditional = plan.outputTree.allSatisfy { if case .plugin = $0 { return true } else { return false } }
        var scratch = WorkerScratch(outputs: outputs.count)
        while var batch = await queue.pop(maxEvents: settings.batchSize, maxDelay: settings.batchDelay) {
            // Take the events out of the batch: a second reference would make the first
            // change to each event copy its fields (copy-on-write).
            var events: [Event] = []
            swap(&events, &batch.events)
            if hasFilters {
                for i in events.indices { chain(&events[i], &scratch) }
                swap(&events, &scratch.filtered)
                scratch.filtered.removeAll(keepingCapacity: true)
            }
            var delivered = true
            if unconditional {
                for output in outputs where !events.isEmpty {
                    if !(await deliver(events, to: output.plugin, id: output.id)) { delivered = false }
                }
            } else {
                for i in events.indices { router(&events[i], &scratch) }
                events = []
                for (i, output) in outputs.enumerated() where !scratch.routes[i].isEmpty {
                    let routed = scratch.routes[i]
                    scratch.routes[i].removeAll(keepingCapacity: true)
                    if !(await deliver(routed, to: output.plugin, id: output.id)) { delivered = false }
                }
            }
            // Dead letters must be on disk before the batch counts as delivered.
            if !plan.context.deadLetters.flush() { delivered = false }
            batch.resolve(delivered ? .delivered : .failed)
        }
    }

    /// Writes to one output, retrying transient failures with capped exponential backoff
    /// until it succeeds or the pipeline is aborted. Returns false when aborted, or when an
    /// event the output gave up on could not be stored in the dead-letter queue.
    private func deliver(_ events: [Event], to output: any OutputPlugin, id: String) async -> Bool {
        var backoff = Backoff(initial: .milliseconds(100), max: .seconds(30))
        let dlq = plan.value.context.deadLetters
        let pluginType = type(of: output).pluginName
        while true {
            do {
                let outcome = try await output.write(events)
                var stored = true
                for (index, reason) in outcome.rejected where events.indices.contains(index) {
                    if !dlq.write(events[index], pluginType: pluginType, pluginId: id, reason: reason) { stored = false }
                }
                return stored
            } catch let e as PluginError where !e.retriable {
                logger.error("output \(id): \(e.message); sending \(events.count) events to the dead-letter queue")
                var stored = true
                for ev in events where !dlq.write(ev, pluginType: pluginType, pluginId: id, reason: e.message) { stored = false }
                return stored
            } catch {
                if aborting.load(ordering: .acquiring) { return false }
                let delay = backoff.next()
                logger.warning("output \(id) failed: \(error); retrying in \(delay)")
                // Sleep in short slices so an abort is noticed promptly.
                var left = delay
                while left > .zero, !aborting.load(ordering: .acquiring) {
                    let slice = min(left, .milliseconds(100))
                    try? await Task.sleep(for: slice)
                    left -= slice
                }
            }
        }
    }
}

/// Capped exponential backoff.
public struct Backoff: Sendable {
    public let initial: Duration
    public let max: Duration
    private var current: Duration

    public init(initial: Duration, max: Duration) {
        self.initial = initial
        self.max = max
        current = initial
    }

    public mutating func next() -> Duration {
        defer { current = Swift.min(current * 2, max) }
        return current
    }

    public mutating func reset() { current = initial }
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

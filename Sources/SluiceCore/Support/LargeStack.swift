/// Runs recursive work over user input (the config parser) on a thread with a known,
/// large stack. The caller's thread may be a test-runner or Swift-concurrency thread with
/// 512 KiB, and a debug build spends several KiB per level of nesting; with this stack,
/// `ConfigLimits.maxNesting` levels fit whatever thread asks. The stack is reserved, not
/// touched: only the pages the work uses become resident.
enum LargeStack {
    static let size = 256 << 20

    /// `body`'s result, computed on a fresh thread with a `size` stack (on the calling
    /// thread if no thread can be created).
    static func run<T>(_ body: () -> T) -> T {
        var result: T?
        withoutActuallyEscaping(body) { body in
            let job = Job { result = body() }
            do {
                // Joined before `run` returns, so `body` and `result` outlive the thread.
                try OSThread.start(stackSize: size) { job.work() }.join()
            } catch {
                job.work()
            }
        }
        guard let result else { return body() }
        return result
    }

    /// The work and its result slot, handed to one thread that is joined at once.
    private final class Job: @unchecked Sendable {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }
}

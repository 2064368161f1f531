/// Runs blocking C library calls (librdkafka's flush, libmongoc's bulk writes) on a thread of
/// their own, so they never hold one of the few threads of Swift's cooperative pool.
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let job: @Sendable () -> Void = { continuation.resume(returning: body()) }
            do {
                try OSThread.start(job).detach()
            } catch {
                // No thread to be had: run it here rather than not at all.
                job()
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Runs blocking C library calls (librdkafka's flush, libmongoc's bulk writes) on a thread of
/// their own, so they never hold one of the few threads of Swift's cooperative pool.
public enum Blocking {
    public static func run<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { (continuation: CheckedContinuation<T, Never>) in
            let job = Job { continuation.resume(returning: body()) }
            let context = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let rc = pthread_create(&thread, nil, { arg in
                guard let arg else { return nil }
                Unmanaged<Job>.fromOpaque(arg).takeRetainedValue().body()
                return nil
            }, context)
            if rc == 0 {
                pthread_detach(thread)
            } else {
                // No thread to be had: run it here rather than not at all.
                Unmanaged<Job>.fromOpaque(context).takeRetainedValue().body()
            }
        }
    }

    private final class Job: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

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
            if !start(job) { job.work() }
        }
        // `start` joined the thread (or ran the work here): `result` is set.
        guard let result else { return body() }
        return result
    }

    /// Runs `job` on a new thread with a `size` stack and waits for it; false if no thread
    /// could be created.
    private static func start(_ job: Job) -> Bool {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, size)
        let raw = Unmanaged.passRetained(job).toOpaque()
        #if canImport(Darwin)
        var thread: pthread_t?
        #else
        var thread = pthread_t()
        #endif
        let rc = pthread_create(&thread, &attr, { arg in
            #if canImport(Darwin)
            let arg: UnsafeMutableRawPointer? = arg
            #endif
            guard let arg else { return nil }
            Unmanaged<Job>.fromOpaque(arg).takeRetainedValue().work()
            return nil
        }, raw)
        guard rc == 0 else {
            Unmanaged<Job>.fromOpaque(raw).release()
            return false
        }
        #if canImport(Darwin)
        if let thread { pthread_join(thread, nil) }
        #else
        pthread_join(thread, nil)
        #endif
        return true
    }

    private final class Job {
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }
}

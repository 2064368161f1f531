/// Polls `condition` every `every` until it holds or `timeout` passes; its last value.
public func eventually(timeout: Duration = .seconds(30), every: Duration = .milliseconds(10),
                       _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: every)
    }
    return condition()
}

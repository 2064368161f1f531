import Testing
import SluiceCore
@testable import GrokPlugins
import Foundation
#if canImport(Glibc)
import Glibc
#endif

func cpuNow() -> Double { var ts = timespec(); clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9 }

@Test func perfTmp() throws {
    let env = ProcessInfo.processInfo.environment
    let only = env["GROKBENCH"] ?? ""
    let apache = try String(contentsOfFile: "/tmp/grokbench/apache.log", encoding: .utf8).split(separator: "\n").prefix(20000).map(String.init)
    let people = try String(contentsOfFile: "/tmp/grokbench/people.log", encoding: .utf8).split(separator: "\n").prefix(20000).map(String.init)
    let cases: [(String, String, String, [String])] = [
        ("combined-v8", "%{COMBINEDAPACHELOG}", "v8", apache),
        ("combined-legacy", "%{COMBINEDAPACHELOG}", "disabled", apache),
        ("people", "%{INT:age:int} %{WORD:gender} %{NUMBER:height:float} %{NUMBER:weight:float}", "v8", people),
    ]
    for (name, pattern, ecs, lines) in cases where only.isEmpty || only == name {
        let f = try GrokSettings.filter(["match": ["message": .string(pattern)], "ecs_compatibility": .string(ecs)])
        var scratch = FilterContext()
        var total = 0.0
        var n = 0
        var best = 0.0
        for _ in 0..<(only.isEmpty ? 10 : Int(env["GROKREPS"] ?? "50")!) {
            var evs = lines.map { Event(message: $0) }
            let t0 = cpuNow()
            for i in evs.indices { _ = f.filter(&evs[i], &scratch) }
            let dt = cpuNow() - t0
            total += dt
            n += evs.count
            best = max(best, Double(evs.count) / dt)
            if evs[0].hasTag("_grokparsefailure") { print("FAILED", name) }
        }
        print("PERF \(name): \(Int(Double(n) / total)) events/s (best \(Int(best)))")
    }
}

@Test func perfTmpParts() throws {
    let apache = try String(contentsOfFile: "/tmp/grokbench/apache.log", encoding: .utf8).split(separator: "\n").prefix(20000).map(String.init)
    let g = try GrokPattern("%{COMBINEDAPACHELOG}", library: .builtIn(.v8))
    var t = 0.0, n = 0
    var sink = 0
    for _ in 0..<20 {
        let evs = apache.map { Event(message: $0) }
        let t0 = Date()
        for e in evs {
            guard case .string(var s)? = e.fields["message"] else { continue }
            s.withUTF8 { b in
                if g.match(b, validUTF8: true) == .matched {
                    for c in g.captures { if let v = g.value(of: c, in: b), case .string(let x) = v { sink &+= x.utf8.count } }
                }
            }
        }
        t += Date().timeIntervalSince(t0); n += evs.count
    }
    print("PERF parts match+values: \(Int(Double(n)/t))/s \(sink)")
    t = 0; n = 0
    for _ in 0..<20 {
        var evs = apache.map { Event(message: $0) }
        let t0 = Date()
        for i in evs.indices {
            var m = FieldMap(minimumCapacity: 4); m.set("address", .string("83.149.9.216"))
            evs[i].fields.reserveCapacity(10)
            evs[i].fields.set("source", .object(m))
            var req = FieldMap(minimumCapacity: 2); req.set("method", "GET"); req.set("referrer", .string("http://semicomplete.com/presentations/logstash"))
            var body = FieldMap(minimumCapacity: 1); body.set("bytes", .int(2000))
            var resp = FieldMap(minimumCapacity: 2); resp.set("status_code", .int(200)); resp.set("body", .object(body))
            var http = FieldMap(minimumCapacity: 3); http.set("request", .object(req)); http.set("version", "1.1"); http.set("response", .object(resp))
            evs[i].fields.set("http", .object(http))
            var url = FieldMap(minimumCapacity: 1); url.set("original", .string("/presentations/logstash-monitorama-2013/images/kibana-search.png"))
            evs[i].fields.set("url", .object(url))
            var ua = FieldMap(minimumCapacity: 1); ua.set("original", .string("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_9_1) AppleWebKit/537.36"))
            evs[i].fields.set("user_agent", .object(ua))
            evs[i].fields.set("timestamp", .string("24/Feb/2015:23:13:42 +0000"))
        }
        t += Date().timeIntervalSince(t0); n += evs.count
    }
    print("PERF parts handbuilt-tree: \(Int(Double(n)/t))/s")
}

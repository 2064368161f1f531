import SluiceCore
import SluiceTesting
import Testing

private func marks(_ e: Event) -> [String] { e.fields["marks"]?.arrayValue?.compactMap(\.stringValue) ?? [] }

private func bySeq(_ events: [Event]) -> [Int: Event] {
    Dictionary(events.compactMap { e in e.seq.map { ($0, e) } }, uniquingKeysWith: { a, _ in a })
}

@Suite("Runtime: conditionals, order, emitted events, common options", .timeLimit(.minutes(1)))
struct RuntimeRoutingTests {
    @Test func filterConditionalsRouteThroughIfElseIfElseAndNestedBranches() async throws {
        let config = """
            filter {
              if [seq] < 3 {
                mark { mark => "low" }
              } else if [seq] < 6 {
                mark { mark => "mid" }
                if [seq] == 4 { mark { mark => "four" } } else { mark { mark => "not-four" } }
              } else {
                mark { mark => "high" }
              }
              mark { mark => "all" }
            }
            """
        let result = try await runtimeHarness().run(config, events: seqEvents(8))
        let got = result.events.map { ($0.seq ?? -1, marks($0)) }
        let want: [(Int, [String])] = [
            (0, ["low", "all"]), (1, ["low", "all"]), (2, ["low", "all"]),
            (3, ["mid", "not-four", "all"]), (4, ["mid", "four", "all"]), (5, ["mid", "not-four", "all"]),
            (6, ["high", "all"]), (7, ["high", "all"]),
        ]
        #expect(got.map(\.0) == want.map(\.0))
        #expect(got.map(\.1) == want.map(\.1))
    }

    @Test func outputConditionalsRouteEachEventToTheRightOutputs() async throws {
        let p = Probe.make()
        let r = "probe => \"\(p.id)\""
        let config = """
            output {
              if [seq] < 3 {
                record { \(r) id => "low" }
              } else if [seq] < 6 {
                record { \(r) id => "mid" }
                if [seq] == 4 { record { \(r) id => "four" } }
              } else {
                record { \(r) id => "high" }
              }
              record { \(r) id => "all" }
            }
            """
        let result = try await runtimeHarness().run(config, events: seqEvents(8), chunkSize: 3)
        #expect(p.written(by: "low") == [0, 1, 2])
        #expect(p.written(by: "mid") == [3, 4, 5])
        #expect(p.written(by: "four") == [4])
        #expect(p.written(by: "high") == [6, 7])
        #expect(p.written(by: "all") == Array(0..<8))
        #expect(result.acks == [.delivered, .delivered, .delivered])
    }

    @Test func oneWorkerKeepsEventOrder() async throws {
        let config = """
            filter {
              if [seq] > 500 { mark { mark => "late" } } else { miss { } }
              if [seq] == 10 { discard { } }
            }
            """
        let result = try await runtimeHarness(batchSize: 64).run(config, events: seqEvents(2000), chunkSize: 37)
        #expect(result.events.compactMap(\.seq) == Array(0..<2000).filter { $0 != 10 })
    }

    @Test func emittedEventsGoThroughTheRestOfTheChain() async throws {
        let p = Probe.make()
        let config = """
            filter {
              mark { mark => "before" }
              emit { copies => 2 add_tag => ["split"] }
              mark { mark => "after" }
              if [copy] == 2 { discard { } }
            }
            output {
              if [copy] { record { probe => "\(p.id)" id => "copies" } }
              else { record { probe => "\(p.id)" id => "originals" } }
              record { probe => "\(p.id)" id => "all" }
            }
            """
        _ = try await runtimeHarness().run(config, events: seqEvents(3))
        let all = p.events(by: "all")
        // Each original, then its surviving copy: copy 2 was dropped by the later conditional.
        #expect(all.map { "\($0.seq ?? -1)/\($0.fields["copy"].map { $0.renderedString } ?? "-")" }
                == ["0/-", "0/1", "1/-", "1/1", "2/-", "2/1"])
        for e in all {
            // Copies were taken after "before", and continued through "after".
            #expect(marks(e) == ["before", "after"])
            // The emitting filter's decorations apply to the emitted events too.
            #expect(e.hasTag("split"))
        }
        #expect(p.written(by: "originals") == [0, 1, 2])
        #expect(p.written(by: "copies") == [0, 1, 2])
    }

    @Test func filterCommonOptionsApplyOnlyWhenTheFilterMatched() async throws {
        var first = Event(message: "hello")
        first.fields.set("seq", .int(1))
        first.fields.set("victim", .string("gone"))
        first.fields.set("gone", .string("x"))
        first.fields.set("extra", .string("y"))
        let config = """
            filter {
              mark {
                add_field => { "greeting" => "hi %{message}" "[nested][seq]" => "%{seq}" "message" => "more" }
                add_tag => ["t-%{seq}", "x", "y"]
              }
              mark { remove_field => ["extra", "%{victim}"] remove_tag => ["x", "t-%{seq}"] }
              miss { add_tag => ["never"] add_field => { "never" => "1" } remove_field => ["greeting"] remove_tag => ["y"] }
            }
            """
        let result = try await runtimeHarness().run(config, events: [first])
        let e = try #require(result.events.first)
        #expect(e.fields["greeting"] == .string("hi hello"))
        #expect(e[field: "[nested][seq]"] == .string("1"))
        // add_field on an existing field turns it into an array, as in Logstash.
        #expect(e.fields["message"] == .array(["hello", "more"]))
        #expect(e.tags == ["y"])
        #expect(e.fields["extra"] == nil)
        #expect(e.fields["gone"] == nil, "remove_field with a sprintf name")
        #expect(e.fields["victim"] == .string("gone"))
        #expect(e.fields["never"] == nil)
    }

    @Test func inputCommonOptionsDecorateEveryEvent() async throws {
        let p = Probe.make()
        let config = """
            input {
              probe_input { probe => "\(p.id)" count => 3 type => "web" tags => ["in1", "in2"]
                            add_field => { "source" => "%{message}-src" } }
              probe_input { probe => "\(p.id)" count => 2 type => "web" fields => { "type" => "orig" } }
            }
            """
        let result = try await runtimeHarness().run(config)
        #expect(result.events.count == 5)
        let decorated = result.events.filter { $0.fields["source"] != nil }
        #expect(decorated.count == 3)
        for e in decorated {
            #expect(e.fields["type"] == .string("web"))
            #expect(e.tags == ["in1", "in2"])
            #expect(e.fields["source"] == .string("\(e.message ?? "")-src"))
        }
        let preset = result.events.filter { $0.fields["source"] == nil }
        #expect(preset.count == 2)
        #expect(preset.allSatisfy { $0.fields["type"] == .string("orig") }, "`type` keeps a value the event already has")
    }

    @Test(arguments: [false, true])
    func fourWorkersDeliverEveryEventExactlyOnce(routed: Bool) async throws {
        let p = Probe.make()
        let r = "probe => \"\(p.id)\""
        let outputs = routed
            ? "if [seq] < 5000 { record { \(r) id => \"lo\" } } else { record { \(r) id => \"hi\" } } record { \(r) id => \"all\" }"
            : "record { \(r) id => \"all\" }"
        let config = "filter { mark { add_tag => [\"seen\"] } } output { \(outputs) }"
        let result = try await runtimeHarness(workers: 4, batchSize: 125).run(config, events: seqEvents(10_000), chunkSize: 50)
        let all = p.written(by: "all")
        #expect(all.count == 10_000)
        #expect(Set(all) == Set(0..<10_000))
        if routed {
            #expect(p.written(by: "lo").sorted() == Array(0..<5000))
            #expect(p.written(by: "hi").sorted() == Array(5000..<10_000))
        }
        #expect(result.acks.count == 200)
        #expect(result.acks.allSatisfy { $0 == .delivered })
    }
}

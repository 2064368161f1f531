import SluiceCore
import SluiceHTTP
import Testing
@testable import GoogleCloudPlugins

/// Schema derivation and row encoding, without a server.
@Suite struct BigQuerySchemaTests {
    let encoder = BigQueryRowEncoder(overflowField: "overflow")

    func event(_ pairs: [(String, Value)]) -> Event {
        var e = Event(fields: FieldMap(), stamp: false)
        for (k, v) in pairs { e.fields.set(k, v) }
        return e
    }

    func row(_ e: Event, _ schema: [BigQueryField]) -> (FieldMap, [String: Value]) {
        let (json, _) = encoder.row(e, schema: schema)
        let fields = json.objectValue ?? FieldMap()
        var overflow: [String: Value] = [:]
        if let text = fields["overflow"]?.stringValue, case .object(let o)? = try? JSON.decode(text) {
            for (k, v) in o { overflow[k] = v }
        }
        return (fields, overflow)
    }

    @Test func derivesRecordsRepeatedFieldsTimestampsAndWidensNewNumbers() {
        var schema: [BigQueryField] = []
        let events = [
            event([("@timestamp", .timestamp(Timestamp(seconds: 1))), ("n", 1), ("x", 1), ("user", ["id": 1, "name": "a"]),
                   ("tags", ["a", "b"]), ("when", "2021-08-03 10:00:00"), ("pts", [["x": 1]])]),
            event([("x", 2.5), ("pts", [["x": 2, "y": "b"]])]),
        ]
        #expect(encoder.extend(&schema, known: [], with: events))
        #expect(schema[column: "timestamp"]?.type == "TIMESTAMP")
        #expect(schema[column: "n"]?.type == "INT64")
        #expect(schema[column: "x"]?.type == "FLOAT64", "a new column seeing 1 and 2.5 is FLOAT64")
        #expect(schema[column: "user"] == BigQueryField("user", "RECORD", fields: [BigQueryField("id", "INT64"), BigQueryField("name", "STRING")]))
        #expect(schema[column: "tags"] == BigQueryField("tags", "STRING", repeated: true))
        #expect(schema[column: "when"]?.type == "TIMESTAMP")
        #expect(schema[column: "pts"] == BigQueryField("pts", "RECORD", repeated: true,
                                                      fields: [BigQueryField("x", "INT64"), BigQueryField("y", "STRING")]))
        #expect(schema.last == BigQueryField("overflow", "JSON"))
        // A known INT64 column does not widen: BigQuery cannot change a column's type.
        var again = schema
        #expect(!encoder.extend(&again, known: schema, with: [event([("n", 2.5)])]))
        #expect(again[column: "n"]?.type == "INT64")
    }

    @Test func whatCannotBeAColumnGoesToTheOverflowObject() {
        let schema = [BigQueryField("k", "INT64"), BigQueryField("when", "TIMESTAMP"), BigQueryField("s", "STRING"),
                      BigQueryField("obj", "RECORD", fields: [BigQueryField("a", "INT64")]),
                      BigQueryField("list", "INT64", repeated: true), BigQueryField("overflow", "JSON")]
        let (fields, overflow) = row(event([("k", "text"), ("when", "not a time"), ("s", .timestamp(Timestamp(seconds: 0))),
                                            ("obj", ["a": "x", "b": 1]), ("list", [1, .null]), ("bad-name", 1),
                                            ("none", .null), ("overflow", "mine")]), schema)
        #expect(fields["k"] == nil && overflow["k"] == "text")
        #expect(fields["when"] == nil && overflow["when"] == "not a time")
        #expect(fields["s"] == "1970-01-01T00:00:00.000Z")
        #expect(fields["obj"] == .object(FieldMap()) && overflow["obj"] == ["a": "x", "b": 1], "the record's misfits keep their path")
        #expect(overflow["list"] == [1, .null], "a REPEATED column cannot hold a null")
        #expect(overflow["bad-name"] == 1 && overflow["none"] == .null && overflow["overflow"] == "mine")
        let (ok, none) = row(event([("k", 3.0), ("when", "2021-08-03T10:00:00Z"), ("list", [1, 2])]), schema)
        #expect(ok["k"] == 3 && ok["when"] == "2021-08-03T10:00:00Z" && ok["list"] == [1, 2] && none.isEmpty && ok["overflow"] == nil)
    }

    @Test func columnNamesAndTheColumnLimit() {
        #expect(BigQueryRowEncoder.columnName("@timestamp") == "timestamp")
        #expect(BigQueryRowEncoder.columnName("a-b") == nil)
        #expect(BigQueryRowEncoder.columnName("1a") == nil)
        #expect(BigQueryRowEncoder.columnName("_PARTITIONTIME") == nil)
        #expect(BigQueryRowEncoder.columnName("_ok") == "_ok")
        let small = BigQueryRowEncoder(overflowField: "overflow", maxColumns: 3)
        var schema: [BigQueryField] = []
        _ = small.extend(&schema, known: [], with: [event([("a", 1), ("b", 2), ("c", 3)])])
        #expect(schema.map(\.name) == ["a", "b", "overflow"], "the overflow column counts against the limit")
        let (_, json) = small.row(event([("a", 1), ("b", 2), ("c", 3)]), schema: schema).json.objectValue.map { ($0, $0) } ?? (FieldMap(), FieldMap())
        #expect(json["overflow"] == #"{"c":3}"#)
        // Keys that differ only in case are one column to BigQuery: the second overflows.
        var cased: [BigQueryField] = []
        _ = encoder.extend(&cased, known: [], with: [event([("Name", "a"), ("name", "b")])])
        #expect(cased.map(\.name) == ["Name", "overflow"])
    }

    @Test func tableNamesFollowLogstash() {
        var e = Event(message: "x")
        e.fields.set("@timestamp", .timestamp(Timestamp(year: 2021, month: 8, day: 3, hour: 10, minute: 5)))
        #expect(BigQueryTableName(prefix: "logstash", separator: "_", datePattern: "%Y-%m-%dT%H:00").render(e) == "logstash_2021_08_03T10_00")
        #expect(BigQueryTableName(prefix: "twitter", separator: "-", datePattern: "%Y%m%d").render(e) == "twitter_20210803")
        #expect(BigQueryTableName(prefix: "fixed", separator: "_", datePattern: "").render(e) == "fixed")
    }

    @Test func insertIdsAreStablePerEventAndDifferBetweenEvents() {
        let a = event([("n", 1)]), b = event([("n", 2)])
        #expect(BigQueryOutput.insertId(a) == BigQueryOutput.insertId(a))
        #expect(BigQueryOutput.insertId(a) != BigQueryOutput.insertId(b))
        #expect(BigQueryOutput.insertId(a).count == 32)
    }

    /// Response bodies as the tabledata.insertAll docs and fluent-plugin-bigquery #38 show them.
    @Test func insertErrorsAreReadRowByRow() {
        func result(_ status: Int, _ body: String) -> BigQueryInsertResult {
            BigQueryInsertResult.interpret(HTTPResponse(status: status, headers: [:], body: Array(body.utf8), effectiveURL: "x"))
        }
        let partial = result(200, """
            {"kind":"bigquery#tableDataInsertAllResponse","insertErrors":[
             {"index":1,"errors":[{"reason":"invalid","location":"time","message":"Unrecognized timezone: INVALID_TIME_ZONE"}]},
             {"index":0,"errors":[{"reason":"stopped"}]},{"index":2,"errors":[{"reason":"backendError","message":"x"}]},
             {"index":3,"errors":[{"reason":"invalid","location":"late","message":"no such field: late."}]}]}
            """)
        #expect(partial == .rows([1: .reject("invalid at time: Unrecognized timezone: INVALID_TIME_ZONE"), 0: .retry("stopped"),
                                  2: .retry("backendError: x"), 3: .unknownField("invalid at late: no such field: late.")]))
        #expect(result(200, #"{"kind":"bigquery#tableDataInsertAllResponse"}"#) == .rows([:]))
        guard case .retryAll = result(503, #"{"error":{"code":503,"errors":[{"reason":"backendError"}],"message":"m"}}"#) else {
            Issue.record("503 is retried"); return
        }
        guard case .retryAll = result(403, #"{"error":{"code":403,"errors":[{"reason":"rateLimitExceeded"}],"message":"m"}}"#) else {
            Issue.record("a rate limit is retried"); return
        }
        guard case .rejectAll(let why) = result(400, #"{"error":{"code":400,"errors":[{"reason":"invalid"}],"message":"bad request"}}"#) else {
            Issue.record("400 rejects"); return
        }
        #expect(why.contains("bad request"))
    }
}

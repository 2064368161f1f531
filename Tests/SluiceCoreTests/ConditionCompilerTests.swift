import Testing
@testable import SluiceCore

@Suite("Conditions: compiler, precedence, errors")
struct ConditionCompilerTests {
    let here = SourceFile(name: "c.conf", text: "if [a] { }").location(ofOffset: 3)

    /// An event where fields `t` is true and `f` is false.
    let tf = ConfigTest.event([("t", true), ("f", false)])

    func t(_ cond: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        do { return try ConfigTest.eval(cond, tf) } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
            return false
        }
    }

    @Test func andBindsTighterThanOr() {
        // With left-to-right evaluation these would be false.
        #expect(t("[t] or [f] and [f]"))
        #expect(t("[f] and [f] or [t]"))
        #expect(!t("([t] or [f]) and [f]"))
    }

    @Test func xorBindsLooserThanAnd() {
        // t xor (t and f) = t; (t xor t) and f would be f.
        #expect(t("[t] xor [t] and [f]"))
        // (f and t) xor t = t
        #expect(t("[f] and [t] xor [t]"))
    }

    @Test func orBindsLooserThanXor() {
        // t or (t xor t) = t; (t or t) xor t would be f.
        #expect(t("[t] or [t] xor [t]"))
        // (t xor t) or f = f; t xor (t or f) would be f as well, so check another:
        // (f xor f) or t = t ; f xor (f or t) = t too. Use: t xor t or t -> (t xor t) or t = t.
        #expect(t("[t] xor [t] or [t]"))
        #expect(!t("[t] xor ([t] or [t])"))
    }

    @Test func nandIsLeftAssociativeWithAnd() {
        // (t nand t) and t = f and t = f; t nand (t and t) = f too; (f nand f) nand t = t nand t = f.
        #expect(!t("[f] nand [f] nand [t]"))
        #expect(t("[f] nand ([f] nand [t])"))
        #expect(!t("[t] nand [t] and [t]"))
    }

    @Test func negationBindsTightest() {
        #expect(!t("![t] and [t]"))
        #expect(t("![f] and [t]"))
        #expect(t("![t] or [t]"))
    }

    @Test func nestedConditionalsCompileAndSelectTheRightBranch() throws {
        let config = try ConfigTest.parse("""
            filter {
              if [a] == 1 {
                if [b] =~ /x/ { one {} } else { two {} }
              } else if [a] in [2, 3] {
                three {}
              } else {
                four {}
              }
            }
            """)
        guard case .conditional(let outer)? = config.filters.first else { Issue.record("conditional expected"); return }
        // A tiny interpreter over the compiled conditions.
        func run(_ statements: [Statement], _ e: Event) throws -> [String] {
            var out: [String] = []
            for s in statements {
                switch s {
                case .plugin(let p): out.append(p.name)
                case .conditional(let c):
                    var taken = false
                    for b in c.branches where try ConditionCompiler.compile(b.condition, at: b.location)(e) {
                        out += try run(b.body, e)
                        taken = true
                        break
                    }
                    if !taken, let body = c.elseBody { out += try run(body, e) }
                }
            }
            return out
        }
        let s = [Statement.conditional(outer)]
        #expect(try run(s, ConfigTest.event([("a", 1), ("b", "xyz")])) == ["one"])
        #expect(try run(s, ConfigTest.event([("a", 1), ("b", "abc")])) == ["two"])
        #expect(try run(s, ConfigTest.event([("a", 3)])) == ["three"])
        #expect(try run(s, ConfigTest.event([("a", "1")])) == ["four"])
    }

    @Test func badRegexFromTheSyntaxTreeIsAConfigError() {
        #expect {
            _ = try ConditionCompiler.compile(.match(.field(ConfigTest.field("a")), .regex("(x"), negated: false), at: here)
        } throws: { error in
            guard let e = error as? ConfigError else { return false }
            return e.location?.description == "c.conf:1:4" && e.message.hasPrefix("invalid regular expression `(x`")
        }
    }

    @Test func unusableOperandsAreConfigErrors() {
        #expect(throws: ConfigError.self) {
            _ = try ConditionCompiler.compile(.match(.field(ConfigTest.field("a")), .field(ConfigTest.field("b")), negated: false), at: here)
        }
        #expect(throws: ConfigError.self) {
            _ = try ConditionCompiler.compile(.contains(.array([.string("a")]), .field(ConfigTest.field("b")), negated: false), at: here)
        }
    }

    @Test func constantsFold() throws {
        let c = try ConditionCompiler.compile(.compare(.string("a"), .eq, .string("a")), at: here)
        #expect(c(Event(fields: FieldMap(), stamp: false)))
        let n = try ConditionCompiler.compile(.compare(.number("1"), .gt, .number("2.5")), at: here)
        #expect(!n(Event(fields: FieldMap(), stamp: false)))
    }

    @Test func compiledConditionIsReusable() throws {
        let c = try ConditionCompiler.compile(try ConfigTest.condition("[n] >= 10 and [s] =~ /^a/"), at: here)
        var hits = 0
        for i in 0..<100 {
            if c(ConfigTest.event([("n", .int(Int64(i))), ("s", i % 2 == 0 ? "abc" : "xbc")])) { hits += 1 }
        }
        #expect(hits == 45)
    }

    @Test func evaluationIsFast() throws {
        let c = try ConditionCompiler.compile(try ConfigTest.condition("[type] == \"apache\""), at: here)
        let e = ConfigTest.event([("message", "m"), ("host", "h"), ("type", "apache")])
        let clock = ContinuousClock()
        var n = 0
        var fastest = Duration.seconds(60)
        // The fastest of 5 rounds, so that a busy shared machine does not decide the result.
        for _ in 0..<5 {
            fastest = min(fastest, clock.measure {
                for _ in 0..<100_000 where c(e) { n += 1 }
            })
        }
        #expect(n == 500_000)
        // Generous bound (debug build): well under a microsecond per event.
        #expect(fastest < .milliseconds(200))
    }
}

import Testing
@testable import SluiceCore

@Suite("Config parser: conditions")
struct ConfigConditionSyntaxTests {
    let a = Operand.field(ConfigTest.field("a"))
    let b = Operand.field(ConfigTest.field("b"))
    let c = Operand.field(ConfigTest.field("c"))
    let d = Operand.field(ConfigTest.field("d"))

    @Test func comparisonOperators() throws {
        let ops: [(String, CompareOperator)] = [("==", .eq), ("!=", .ne), ("<", .lt), (">", .gt), ("<=", .le), (">=", .ge)]
        for (text, op) in ops {
            #expect(try ConfigTest.condition("[a] \(text) 1") == .compare(a, op, .number("1")))
            #expect(try ConfigTest.condition("[a]\(text)\"x\"") == .compare(a, op, .string("x")))
        }
        #expect(try ConfigTest.condition("\"x\" == [a]") == .compare(.string("x"), .eq, a))
        #expect(try ConfigTest.condition("[a] == [b]") == .compare(a, .eq, b))
        #expect(try ConfigTest.condition("[a] == -2.5") == .compare(a, .eq, .number("-2.5")))
        #expect(try ConfigTest.condition("[a] == 'single'") == .compare(a, .eq, .string("single")))
    }

    @Test func regexOperators() throws {
        #expect(try ConfigTest.condition("[a] =~ /^foo.*$/") == .match(a, .regex("^foo.*$"), negated: false))
        #expect(try ConfigTest.condition("[a] !~ /bar/") == .match(a, .regex("bar"), negated: true))
        #expect(try ConfigTest.condition("[a] =~ \"str\"") == .match(a, .string("str"), negated: false))
        // `\/` does not end the literal and stays in the pattern.
        #expect(try ConfigTest.condition(#"[a] =~ /^\/var\/log/"#) == .match(a, .regex(#"^\/var\/log"#), negated: false))
        #expect(try ConfigTest.condition(#"[a] =~ /\\/"#) == .match(a, .regex(#"\\"#), negated: false))
    }

    @Test func inAndNotIn() throws {
        #expect(try ConfigTest.condition("[a] in [b]") == .contains(a, b, negated: false))
        #expect(try ConfigTest.condition("\"x\" in [tags]") == .contains(.string("x"), .field(ConfigTest.field("tags")), negated: false))
        #expect(try ConfigTest.condition("[a] not in [b]") == .contains(a, b, negated: true))
        #expect(try ConfigTest.condition("[a] not  in [b]") == .contains(a, b, negated: true))
        #expect(try ConfigTest.condition("[a] in [\"x\", \"y\"]") == .contains(a, .array([.string("x"), .string("y")]), negated: false))
        #expect(try ConfigTest.condition("[a] in [1, 2.5, -3]") == .contains(a, .array([.number("1"), .number("2.5"), .number("-3")]), negated: false))
        #expect(try ConfigTest.condition("[a] in [x, y]") == .contains(a, .array([.string("x"), .string("y")]), negated: false))
        #expect(try ConfigTest.condition("[a] in []") == .contains(a, .array([]), negated: false))
        #expect(try ConfigTest.condition("[a] in [\"one\"]") == .contains(a, .array([.string("one")]), negated: false))
        #expect(try ConfigTest.condition("[a] in \"abc\"") == .contains(a, .string("abc"), negated: false))
    }

    @Test func selectors() throws {
        #expect(try ConfigTest.condition("[a][b]") == .truthy(.field(FieldReference(path: ["a", "b"]))))
        #expect(try ConfigTest.condition("[list][0]") == .truthy(.field(FieldReference(path: ["list", "0"]))))
        #expect(try ConfigTest.condition("[list][-1]") == .truthy(.field(FieldReference(path: ["list", "-1"]))))
        #expect(try ConfigTest.condition("[@metadata][x]") == .truthy(.field(FieldReference(path: ["@metadata", "x"]))))
        #expect(try ConfigTest.condition("[with space]") == .truthy(.field(FieldReference(path: ["with space"]))))
    }

    @Test func bareRvalues() throws {
        #expect(try ConfigTest.condition("[a]") == .truthy(a))
        #expect(try ConfigTest.condition("\"s\"") == .truthy(.string("s")))
        #expect(try ConfigTest.condition("1") == .truthy(.number("1")))
        #expect(try ConfigTest.condition("/re/") == .truthy(.regex("re")))
    }

    @Test func booleanOperators() throws {
        #expect(try ConfigTest.condition("[a] and [b]") == .and(.truthy(a), .truthy(b)))
        #expect(try ConfigTest.condition("[a] or [b]") == .or(.truthy(a), .truthy(b)))
        #expect(try ConfigTest.condition("[a] xor [b]") == .xor(.truthy(a), .truthy(b)))
        #expect(try ConfigTest.condition("[a] nand [b]") == .nand(.truthy(a), .truthy(b)))
        #expect(try ConfigTest.condition("[a]and[b]") == .and(.truthy(a), .truthy(b)))
    }

    @Test func negation() throws {
        #expect(try ConfigTest.condition("![a]") == .not(.truthy(a)))
        #expect(try ConfigTest.condition("! [a][b]") == .not(.truthy(.field(FieldReference(path: ["a", "b"])))))
        #expect(try ConfigTest.condition("!([a] == 1)") == .not(.compare(a, .eq, .number("1"))))
        #expect(try ConfigTest.condition("!(![a])") == .not(.not(.truthy(a))))
    }

    @Test func parentheses() throws {
        #expect(try ConfigTest.condition("([a])") == .truthy(a))
        #expect(try ConfigTest.condition("(([a] == 1))") == .compare(a, .eq, .number("1")))
        #expect(try ConfigTest.condition("([a] or [b]) and [c]") == .and(.or(.truthy(a), .truthy(b)), .truthy(c)))
        #expect(try ConfigTest.condition("( [a] or [b] )") == .or(.truthy(a), .truthy(b)))
    }

    @Test func precedenceAndBindsTighterThanOr() throws {
        #expect(try ConfigTest.condition("[a] or [b] and [c]") == .or(.truthy(a), .and(.truthy(b), .truthy(c))))
        #expect(try ConfigTest.condition("[a] and [b] or [c]") == .or(.and(.truthy(a), .truthy(b)), .truthy(c)))
        #expect(try ConfigTest.condition("[a] and [b] or [c] and [d]")
                == .or(.and(.truthy(a), .truthy(b)), .and(.truthy(c), .truthy(d))))
    }

    @Test func precedenceXorBetweenAndAndOr() throws {
        #expect(try ConfigTest.condition("[a] xor [b] and [c]") == .xor(.truthy(a), .and(.truthy(b), .truthy(c))))
        #expect(try ConfigTest.condition("[a] or [b] xor [c]") == .or(.truthy(a), .xor(.truthy(b), .truthy(c))))
        #expect(try ConfigTest.condition("[a] xor [b] or [c]") == .or(.xor(.truthy(a), .truthy(b)), .truthy(c)))
    }

    @Test func precedenceNandSharesAndsLevelLeftAssociative() throws {
        #expect(try ConfigTest.condition("[a] nand [b] and [c]") == .and(.nand(.truthy(a), .truthy(b)), .truthy(c)))
        #expect(try ConfigTest.condition("[a] and [b] nand [c]") == .nand(.and(.truthy(a), .truthy(b)), .truthy(c)))
        #expect(try ConfigTest.condition("[a] or [b] nand [c]") == .or(.truthy(a), .nand(.truthy(b), .truthy(c))))
        #expect(try ConfigTest.condition("[a] or [b] or [c]") == .or(.or(.truthy(a), .truthy(b)), .truthy(c)))
    }

    @Test func negationBindsTightest() throws {
        #expect(try ConfigTest.condition("![a] and [b]") == .and(.not(.truthy(a)), .truthy(b)))
        #expect(try ConfigTest.condition("[a] or ![b] and [c]") == .or(.truthy(a), .and(.not(.truthy(b)), .truthy(c))))
    }

    @Test func comparisonsInsideBooleans() throws {
        #expect(try ConfigTest.condition("[a] == 1 and [b] =~ /x/ or \"t\" in [c]")
                == .or(.and(.compare(a, .eq, .number("1")), .match(b, .regex("x"), negated: false)),
                       .contains(.string("t"), c, negated: false)))
    }

    @Test func multiLineConditionsWithComments() throws {
        let e = try ConfigTest.condition("""
            [a] == 1 # first
              and # operator
              [b]
            """)
        #expect(e == .and(.compare(a, .eq, .number("1")), .truthy(b)))
    }

    @Test func expressionDescriptionRoundTrips() throws {
        let e = try ConfigTest.condition("[a] == \"x\" and !([b] in [1, 2]) or [c] !~ /y/")
        #expect(try ConfigTest.condition(e.description) == e)
    }
}

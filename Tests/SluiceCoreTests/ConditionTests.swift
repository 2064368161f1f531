import Testing
@testable import SluiceCore

@Suite("Conditions: operators evaluated against events")
struct ConditionTests {
    let ev = ConfigTest.event([
        ("type", "apache"),
        ("status", 404),
        ("code_text", "200"),
        ("ratio", 0.5),
        ("whole", 2.0),
        ("flag", true),
        ("off", false),
        ("empty", ""),
        ("false_text", "false"),
        ("zero", 0),
        ("nothing", .null),
        ("message", "GET /index.html HTTP/1.1\nsecond line"),
        ("tags", ["web", "prod"]),
        ("nums", [1, 2.5, 3]),
        ("empty_list", []),
        ("client", ["ip": "10.0.0.1", "geo": ["country": "NZ"]]),
        ("list", [["name": "a"], ["name": "b"]]),
        ("copy_of_type", "apache"),
        ("path", "/var/log/app.log"),
    ])

    func t(_ cond: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Bool {
        do { return try ConfigTest.eval(cond, ev) } catch {
            Issue.record("\(error)", sourceLocation: sourceLocation)
            return false
        }
    }

    @Test func equals() {
        #expect(t("[type] == \"apache\""))
        #expect(!t("[type] == \"nginx\""))
        #expect(t("\"apache\" == [type]"))
        #expect(t("[status] == 404"))
        #expect(t("[whole] == 2"))
        #expect(t("[status] == 404.0"))
        #expect(t("[ratio] == 0.5"))
        #expect(!t("[code_text] == 200"))  // a string never equals a number
        #expect(!t("[status] == \"404\""))
        #expect(t("[type] == [copy_of_type]"))
        #expect(t("[tags] == [\"web\", \"prod\"]"))
        #expect(!t("[tags] == [\"prod\", \"web\"]"))
        #expect(t("[nums] == [1, 2.5, 3.0]"))
        #expect(t("[missing] == [also_missing]"))
        #expect(!t("[missing] == \"\""))
        #expect(t("[client][ip] == \"10.0.0.1\""))
        #expect(t("[client][geo][country] == \"NZ\""))
        #expect(t("[list][1][name] == \"b\""))
        #expect(t("[list][-1][name] == \"b\""))
        #expect(t("[tags][0] == \"web\""))
        #expect(t("\"a\" == \"a\""))
        #expect(!t("1 == 2"))
    }

    @Test func structuralHashEquality() throws {
        var e = ConfigTest.event([("a", ["x": 1, "y": ["z"]]), ("b", ["y": ["z"], "x": 1.0]), ("c", ["x": 1])])
        #expect(try ConfigTest.eval("[a] == [b]", e))
        #expect(try !ConfigTest.eval("[a] == [c]", e))
        e.set(ConfigTest.field("b"), ["x": 1, "y": ["w"]])
        #expect(try !ConfigTest.eval("[a] == [b]", e))
    }

    @Test func notEquals() {
        #expect(t("[type] != \"nginx\""))
        #expect(!t("[type] != \"apache\""))
        #expect(t("[missing] != \"x\""))
        #expect(t("[code_text] != 200"))
        #expect(!t("[status] != 404"))
        #expect(t("[nothing] != 1"))
    }

    @Test func lessThan() {
        #expect(t("[status] < 500"))
        #expect(!t("[status] < 404"))
        #expect(t("[ratio] < 1"))
        #expect(t("[status] < 404.5"))
        #expect(t("[type] < \"b\""))
        #expect(!t("[type] < \"apache\""))
        #expect(!t("[missing] < 1"))
        #expect(!t("[code_text] < 300"))  // string vs number: not ordered
        #expect(!t("[tags] < 1"))
        #expect(t("1 < 2"))
    }

    @Test func greaterThan() {
        #expect(t("[status] > 400"))
        #expect(!t("[status] > 404"))
        #expect(t("[type] > \"Apache\""))  // bytewise: lowercase after uppercase
        #expect(!t("[missing] > 0"))
        #expect(t("500 > [status]"))
        #expect(t("[status] > [ratio]"))
    }

    @Test func lessOrEqual() {
        #expect(t("[status] <= 404"))
        #expect(t("[status] <= 405"))
        #expect(!t("[status] <= 403"))
        #expect(t("[type] <= \"apache\""))
        #expect(!t("[missing] <= 1"))
    }

    @Test func greaterOrEqual() {
        #expect(t("[status] >= 404"))
        #expect(!t("[status] >= 404.1"))
        #expect(t("[whole] >= 2"))
        #expect(!t("[missing] >= 0"))
        #expect(!t("[flag] >= 0"))
    }

    @Test func regexMatch() {
        #expect(t("[type] =~ /^apa/"))
        #expect(!t("[type] =~ /^pache/"))
        #expect(t("[type] =~ \"ach\""))
        #expect(t("[path] =~ /^\\/var\\/log\\//"))
        #expect(t("[message] =~ /^second/"))  // `^` anchors at lines, as in Ruby
        #expect(!t("[message] =~ /1.1.second/"))  // `.` does not cross lines
        #expect(t("[message] =~ /(?i)get/"))
        #expect(!t("[status] =~ /404/"))  // not a string
        #expect(!t("[missing] =~ /.*/"))
        #expect(!t("[tags] =~ /web/"))
        #expect(t("\"abc\" =~ /b/"))
        #expect(t("[type] =~ /\\w+/"))
    }

    @Test func regexNotMatch() {
        #expect(t("[type] !~ /nginx/"))
        #expect(!t("[type] !~ /apache/"))
        #expect(t("[missing] !~ /x/"))
        #expect(t("[status] !~ /404/"))
        #expect(!t("[type] !~ \"^a\""))
    }

    @Test func inOperator() {
        #expect(t("\"web\" in [tags]"))
        #expect(!t("\"dev\" in [tags]"))
        #expect(t("\"pac\" in [type]"))  // substring of a string field
        #expect(t("[type] in [\"nginx\", \"apache\"]"))
        #expect(!t("[type] in [\"nginx\"]"))
        #expect(t("[status] in [200, 404]"))
        #expect(t("[code_text] in [200, 404]"))  // Logstash compares texts in constant lists
        #expect(t("[whole] in [1, 2]"))
        #expect(t("[type] in \"apache2 webserver\""))  // field is a substring of the constant
        #expect(!t("[type] in \"nginx\""))
        #expect(t("[type] in [copy_of_type]"))
        #expect(t("[ratio] in [nums]") == false)
        #expect(t("[zero] in [nums]") == false)
        #expect(t("1 in [nums]"))
        #expect(t("2.5 in [nums]"))
        #expect(!t("[missing] in [tags]"))
        #expect(!t("[missing] in [\"a\"]"))
        #expect(!t("\"x\" in [missing]"))
        #expect(!t("[tags] in [tags]"))  // an array on the left is never in anything
        #expect(!t("[client] in [list]"))
        #expect(t("\"b\" in \"abc\""))
        #expect(t("\"b\" in [\"a\", \"b\"]"))
        #expect(!t("\"x\" in []"))
        #expect(t("[type] in [a, apache]"))
    }

    @Test func inWithManyConstants() throws {
        let list = (1...20).map { "\"v\($0)\"" }.joined(separator: ", ")
        let e = ConfigTest.event([("f", "v17"), ("g", "v21")])
        #expect(try ConfigTest.eval("[f] in [\(list)]", e))
        #expect(try !ConfigTest.eval("[g] in [\(list)]", e))
        #expect(try ConfigTest.eval("[g] not in [\(list)]", e))
    }

    @Test func notInOperator() {
        #expect(t("\"dev\" not in [tags]"))
        #expect(!t("\"web\" not in [tags]"))
        #expect(t("[type] not in [\"nginx\"]"))
        #expect(!t("[type] not in [\"apache\"]"))
        #expect(t("[missing] not in [\"a\"]"))
        #expect(t("\"x\" not in [missing]"))
        #expect(!t("\"pac\" not in [type]"))
    }

    @Test func andOperator() {
        #expect(t("[type] == \"apache\" and [status] == 404"))
        #expect(!t("[type] == \"apache\" and [status] == 200"))
        #expect(!t("[missing] and [type]"))
        #expect(!t("[missing] and [missing]"))
    }

    @Test func orOperator() {
        #expect(t("[type] == \"nginx\" or [status] == 404"))
        #expect(t("[missing] or [type]"))
        #expect(!t("[missing] or [off]"))
    }

    @Test func xorOperator() {
        #expect(t("[type] xor [missing]"))
        #expect(t("[missing] xor [type]"))
        #expect(!t("[type] xor [status]"))
        #expect(!t("[missing] xor [off]"))
    }

    @Test func nandOperator() {
        #expect(!t("[type] nand [status]"))
        #expect(t("[type] nand [missing]"))
        #expect(t("[missing] nand [type]"))
        #expect(t("[missing] nand [off]"))
    }

    @Test func notOperator() {
        #expect(t("![missing]"))
        #expect(!t("![type]"))
        #expect(t("![off]"))
        #expect(t("!([type] == \"nginx\")"))
        #expect(!t("!([type] == \"apache\")"))
        #expect(t("!(!([type] == \"apache\"))"))
        #expect(t("![client][missing]"))
    }

    @Test func parentheses() {
        #expect(t("([type] == \"nginx\" or [status] == 404) and [flag]"))
        #expect(!t("[type] == \"nginx\" or ([status] == 404 and [off])"))
        #expect(t("(([type]))"))
    }

    @Test func truthiness() {
        #expect(t("[type]"))
        #expect(t("[flag]"))
        #expect(!t("[off]"))
        #expect(!t("[missing]"))
        #expect(!t("[nothing]"))
        #expect(!t("[empty]"))  // Logstash: "" is false
        #expect(!t("[false_text]"))  // Logstash: "false" is false
        #expect(t("[zero]"))
        #expect(t("[empty_list]"))
        #expect(t("[client]"))
        #expect(t("[tags]"))
        #expect(t("\"x\""))
        #expect(!t("\"\""))
        #expect(t("0"))
    }
}

// Samples for the base patterns, httpd, syslog, java and the small log families.
// Lines are made up for these tests (see GrokPatternSamplesTests).

extension GrokSamples {
    static let core: [GrokSample] = [
        // numbers and words
        GrokSample("USERNAME", "john.doe-42", "john doe"),
        GrokSample("USER", "alice_b", "alice@b"),
        GrokSample("EMAILLOCALPART", "first.last+tag", "first..last"),
        GrokSample("EMAILADDRESS", "first.last@example.com", "first.last@"),
        GrokSample("INT", "-42", "4.2"),
        GrokSample("BASE10NUM", "-3.25", "3.25.1"),
        GrokSample("NUMBER", "+17", "1e5"),
        GrokSample("BASE16NUM", "0x1A2b", "0xZZ"),
        GrokSample("BASE16FLOAT", "0x1f.8", "0x1g"),
        GrokSample("POSINT", "42", "042"),
        GrokSample("NONNEGINT", "0", "-1"),
        GrokSample("WORD", "hello_world", "hello world"),
        GrokSample("NOTSPACE", "a-b/c", "a b"),
        GrokSample("SPACE", " \t ", "x"),
        GrokSample("DATA", "<any text, really>", "<unterminated", probe: "^<@>$"),
        GrokSample("GREEDYDATA", "<any text, really>", "<unterminated", probe: "^<@>$"),
        GrokSample("QUOTEDSTRING", #""say \"hi\"""#, #""unterminated"#),
        GrokSample("QS", "'single'", "'x"),
        GrokSample("UUID", "123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400"),
        GrokSample("URN", "urn:isbn:0451450523", "urn:isbn:"),
        // networking
        GrokSample("CISCOMAC", "0011.2233.4455", "0011.2233.445"),
        GrokSample("WINDOWSMAC", "00-11-22-33-44-55", "00-11-22-33-44"),
        GrokSample("COMMONMAC", "00:11:22:aa:bb:cc", "00:11:22:aa:bb"),
        GrokSample("MAC", "00:11:22:aa:bb:cc", "00:11:22"),
        GrokSample("IPV6", "2001:db8::8a2e:370:7334", "2001:db8:::1"),
        GrokSample("IPV4", "192.168.0.1", "192.168.0.256"),
        GrokSample("IP", "::ffff:192.0.2.1", "1.2.3"),
        GrokSample("HOSTNAME", "www.example.com", "-bad.example.com"),
        GrokSample("IPORHOST", "db-1.internal", "host name"),
        GrokSample("HOSTPORT", "example.com:8080", "example.com:"),
        // paths and URIs
        GrokSample("PATH", #"C:\Windows\System32"#, "var log"),
        GrokSample("UNIXPATH", "/usr/local/bin", "usr/local"),
        GrokSample("TTY", "/dev/pts/3", "/dev/sda"),
        GrokSample("WINPATH", #"C:\Windows\System32"#, "C:/Windows"),
        GrokSample("URIPROTO", "https", "1http"),
        GrokSample("URIHOST", "example.com:443", "example.com:abc"),
        GrokSample("URIPATH", "/search/results", "search"),
        GrokSample("URIQUERY", "q=grok&page=2", "q=a b"),
        GrokSample("URIPARAM", "?q=grok", "q=grok"),
        GrokSample("URIPATHPARAM", "/search?q=grok", "search?q=grok"),
        GrokSample("URI", "https://user@example.com:8443/a/b?c=d", "example.com/a"),
        // dates and times
        GrokSample("MONTH", "September", "Foo"),
        GrokSample("MONTHNUM", "07", "13"),
        GrokSample("MONTHNUM2", "07", "7"),
        GrokSample("MONTHDAY", "31", "32"),
        GrokSample("DAY", "Wednesday", "Wed,"),
        GrokSample("YEAR", "2024", "202"),
        GrokSample("HOUR", "23", "24"),
        GrokSample("MINUTE", "59", "60"),
        GrokSample("SECOND", "59.999", "61"),
        GrokSample("TIME", "12:34:56", "12:34"),
        GrokSample("DATE_US", "12/31/2024", "31/12/2024"),
        GrokSample("DATE_EU", "31.12.2024", "12/31/2024"),
        GrokSample("ISO8601_TIMEZONE", "+05:30", "GMT"),
        GrokSample("ISO8601_SECOND", "45.123", "75"),
        GrokSample("TIMESTAMP_ISO8601", "2024-02-29T13:45:00.123Z", "2024-02-29"),
        GrokSample("DATE", "12/31/2024", "2024/12/31"),
        GrokSample("DATESTAMP", "12/31/2024 23:59:59", "12/31/2024"),
        GrokSample("TZ", "PST", "XYZ"),
        GrokSample("DATESTAMP_RFC822", "Wed Jan 12 2024 13:14:15 EST", "Wed Jan 12 2024 13:14:15"),
        GrokSample("DATESTAMP_RFC2822", "Tue, 1 Jul 2003 10:52:37 +0200", "Tue 1 Jul 2003 10:52:37 +0200"),
        GrokSample("DATESTAMP_OTHER", "Tue May 1 10:52:37 UTC 2012", "Tue May 1 10:52:37 2012"),
        GrokSample("DATESTAMP_EVENTLOG", "20240131235959", "2024-01-31"),
        GrokSample("HTTPDATE", "10/Oct/2000:13:55:36 -0700", "10/Oct/2000 13:55:36 -0700"),
        // syslog and log levels
        GrokSample("SYSLOGTIMESTAMP", "Feb  5 17:32:18", "2024-02-05 17:32:18"),
        GrokSample("PROG", "sshd", "ssh d"),
        GrokSample("SYSLOGPROG", "sshd[1234]", "sshd[abc]"),
        GrokSample("SYSLOGHOST", "mail01", "mail 01"),
        GrokSample("SYSLOGFACILITY", "<4.6>", "<4>"),
        GrokSample("SYSLOGBASE", "Feb  5 17:32:18 mail01 sshd[1234]:", "Feb  5 17:32:18 mail01 sshd[1234]"),
        GrokSample("LOGLEVEL", "WARNING", "VERBOSE"),
        // httpd
        GrokSample("HTTPDUSER", "bob@example.com", "bob smith"),
        GrokSample("HTTPDERROR_DATE", "Sun Mar 10 14:22:01 2024", "2024-03-10 14:22:01"),
        GrokSample("HTTPD_COMMONLOG", Line.common, Line.common.replacingOccurrences("200 2326", "OK 2326")),
        GrokSample("HTTPD_COMBINEDLOG", Line.combined, Line.common + #" "http://www.example.com/start.html""#),
        GrokSample("COMMONAPACHELOG", Line.common, "127.0.0.1 frank GET /apache_pb.gif"),
        GrokSample("COMBINEDAPACHELOG", Line.combined, Line.common),
        GrokSample("NGINXACCESS", Line.combined + #" "10.1.1.1, 10.2.2.2""#, Line.combined + " 10.1.1.1"),
        GrokSample("HTTPD20_ERRORLOG", "[Sun Mar 10 14:22:01 2024] [error] [client 10.0.0.5] File does not exist: /var/www/favicon.ico",
                   "[Sun Mar 10 14:22:01 2024] error File does not exist"),
        GrokSample("HTTPD24_ERRORLOG",
                   "[Sun Mar 10 14:22:01.123456 2024] [core:error] [pid 4242:tid 140001] [client 10.0.0.5:51234] AH00037: Symbolic link not allowed",
                   "[Sun Mar 10 14:22:01.123456 2024] [core:error] AH00037: no pid"),
        GrokSample("HTTPD_ERRORLOG", "[Sun Mar 10 14:22:01 2024] [notice] caught SIGTERM, shutting down", "[notice] caught SIGTERM"),
        // linux-syslog
        GrokSample("SYSLOG5424PRINTASCII", "app-1[42]", "app 1"),
        GrokSample("SYSLOGBASE2", "Mar  5 14:22:01 web1 nginx[42]:", "web1 nginx[42]:"),
        GrokSample("SYSLOGLINE", "Mar  5 14:22:01 web1 nginx[42]: worker started", "web1 nginx: worker started"),
        GrokSample("SYSLOGPAMSESSION", "Mar  5 14:22:01 web1 sshd[42]: pam_unix(sshd:session): session opened for user alice by (uid=0)",
                   "Mar  5 14:22:01 web1 sshd[42]: pam_unix(sshd:session): session started for alice"),
        GrokSample("CRON_ACTION", "CMD", "cmd"),
        GrokSample("CRONLOG", "Mar  5 14:22:01 web1 CRON[4242]: (root) CMD (/usr/bin/backup)",
                   "Mar  5 14:22:01 web1 CRON[4242]: (root) cmd (/usr/bin/backup)"),
        GrokSample("SYSLOG5424PRI", "<165>", "<x>"),
        GrokSample("SYSLOG5424SD", #"[origin ip="192.0.2.1"][meta seq="2"]"#, #"[origin ip="192.0.2.1""#),
        GrokSample("SYSLOG5424BASE", Line.rfc5424Base, "<165> 2024-03-05T14:22:01Z web1"),
        GrokSample("SYSLOG5424LINE", Line.rfc5424Base + " An application event log entry", "web1 An application event"),
        // java
        GrokSample("JAVACLASS", "org.example.app.Main$Inner", "org..example"),
        GrokSample("JAVAFILE", "Main.java", "Main.java:12"),
        GrokSample("JAVAMETHOD", "<clinit>", "1run"),
        GrokSample("JAVASTACKTRACEPART", "\tat org.example.app.Main.run(Main.java:12)", "org.example.app.Main.run(Main.java:12)"),
        GrokSample("JAVATHREAD", "TP-Processor12", "Processor12"),
        GrokSample("JAVALOGMESSAGE", "<anything at all>", "<unterminated", probe: "^<@>$"),
        GrokSample("CATALINA_DATESTAMP", "Mar 5, 2024 2:22:01 PM", "2024-03-05 14:22:01"),
        GrokSample("TOMCAT_DATESTAMP", "2024-03-05 14:22:01,123 +0100", "Mar 5 2024"),
        GrokSample("CATALINALOG", Line.catalina7, "2024-03-05 something happened"),
        GrokSample("TOMCATLOG", Line.tomcat, "WARN org.example.Service - slow response"),
        GrokSample("CATALINA7_DATESTAMP", "Mar 5, 2024 2:22:01 PM", "05-Mar-2024 14:22:01.123"),
        GrokSample("CATALINA8_DATESTAMP", "05-Mar-2024 14:22:01.123", "Mar 5, 2024 2:22:01 PM"),
        GrokSample("CATALINA7_LOG", Line.catalina7, Line.catalina8),
        GrokSample("CATALINA8_LOG", Line.catalina8, Line.catalina7),
        GrokSample("TOMCAT_LEGACY_DATESTAMP", "2024-03-05 14:22:01,123 +0100", "05-Mar-2024 14:22:01.123"),
        GrokSample("TOMCAT_LEGACY_LOG", Line.tomcat, Line.catalina8),
    ]
}

/// Sample lines used by more than one sample.
enum Line {
    static let common = #"127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326"#
    static let combined = common + #" "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#
    static let rfc5424Base = #"<165>1 2024-03-05T14:22:01.003Z web1 evntslog - ID47 [exampleSDID@32473 iut="3"]"#
    static let catalina7 = "Mar 5, 2024 2:22:01 PM org.apache.catalina.startup.Catalina start\nINFO: Server startup in 1234 ms"
    static let catalina8 = "05-Mar-2024 14:22:01.123 INFO [main] org.apache.catalina.startup.Catalina.start Server startup in [1234] milliseconds"
    static let tomcat = "2024-03-05 14:22:01,123 +0100 | WARN | org.example.Service - slow response"
}

enum GrokSamples {}

extension String {
    func replacingOccurrences(_ a: String, _ b: String) -> String {
        split(separator: a, omittingEmptySubsequences: false).joined(separator: b)
    }
}

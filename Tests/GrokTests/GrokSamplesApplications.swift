// Samples for application log families: bacula, bind, exim, maven, mcollective, mongodb,
// nagios, postgresql, rails, redis, ruby, squid. Lines are made up for these tests.

extension GrokSamples {
    static let applications: [GrokSample] = bacula + nagios + others

    static let bacula: [GrokSample] = [
        GrokSample("BACULA_TIMESTAMP", "05-Mar 14:22", "05/03 14:22"),
        GrokSample("BACULA_HOST", "backup-sd", "backup sd"),
        GrokSample("BACULA_VOLUME", "Full-0042", "Full 0042"),
        GrokSample("BACULA_DEVICE", "FileStorage", "File Storage"),
        GrokSample("BACULA_DEVICEPATH", "/srv/bacula/volumes", "srv/bacula"),
        GrokSample("BACULA_CAPACITY", "1,048,576", "1048,576"),
        GrokSample("BACULA_VERSION", "9.4.2", "9 4"),
        GrokSample("BACULA_JOB", "nightly.2024-03-05_23.05.00_12", "nightly job"),
        GrokSample("BACULA_LOG_MAX_CAPACITY", #"User defined maximum volume capacity 53,687,091,200 exceeded on device "Disk1" (/srv/bacula)."#,
                   "User defined maximum volume capacity exceeded"),
        GrokSample("BACULA_LOG_END_VOLUME", #"End of medium on Volume "Tape-7" Bytes=1,024 Blocks=16 at 05-Mar-2024 14:22."#,
                   "End of medium on Volume Tape-7"),
        GrokSample("BACULA_LOG_NEW_VOLUME", #"Created new Volume "Incr-0101" in catalog."#, "Created new Volume Incr-0101"),
        GrokSample("BACULA_LOG_NEW_LABEL", #"Labeled new Volume "Incr-0101" on device "Disk1" (/srv/bacula)."#, #"Labeled new Volume "Incr-0101""#),
        GrokSample("BACULA_LOG_WROTE_LABEL", #"Wrote label to prelabeled Volume "Tape-7" on device "LTO6" (/dev/nst1)"#, #"Wrote label to Volume "Tape-7""#),
        GrokSample("BACULA_LOG_NEW_MOUNT", #"New volume "Tape-7" mounted on device "LTO6" (/dev/nst1) at 05-Mar-2024 14:22."#, #"New volume "Tape-7" mounted"#),
        GrokSample("BACULA_LOG_NOOPEN", "  Cannot open /etc/shadow: ERR=Permission denied", "Cannot open /etc/shadow"),
        GrokSample("BACULA_LOG_NOOPENDIR", #"Could not open directory "/home/x": ERR=No such file"#, "Could not open directory /home/x"),
        GrokSample("BACULA_LOG_NOSTAT", "Could not stat /tmp/sock: ERR=No such file or directory", "Could not stat /tmp/sock"),
        GrokSample("BACULA_LOG_NOJOBS", #"There are no more Jobs associated with Volume "Full-0042". Marking it purged."#, "There are no more Jobs"),
        GrokSample("BACULA_LOG_ALL_RECORDS_PRUNED", #"All records pruned from Volume "Full-0042"; marking it "Purged""#, "All records pruned"),
        GrokSample("BACULA_LOG_BEGIN_PRUNE_JOBS", "Begin pruning Jobs older than 6 month 0 days .", "Begin pruning Jobs"),
        GrokSample("BACULA_LOG_BEGIN_PRUNE_FILES", "Begin pruning Files.", "Begin pruning Files"),
        GrokSample("BACULA_LOG_PRUNED_JOBS", "Pruned 3 Jobs for client web-fd from catalog.", "Pruned Jobs for client web-fd"),
        GrokSample("BACULA_LOG_PRUNED_FILES", "Pruned Files from 2 Jobs for client web-fd from catalog.", "Pruned Files for client web-fd"),
        GrokSample("BACULA_LOG_ENDPRUNE", "End auto prune.", "End prune."),
        GrokSample("BACULA_LOG_STARTJOB", "Start Backup JobId 88, Job=web.2024-03-05_23.05.00_12", "Start Backup Job web"),
        GrokSample("BACULA_LOG_STARTRESTORE", "Start Restore Job restore.2024-03-05_09.00.00_01", "Start Restore"),
        GrokSample("BACULA_LOG_USEDEVICE", #"Using Device "Disk1""#, "Using Device Disk1"),
        GrokSample("BACULA_LOG_DIFF_FS", "   /proc is a different filesystem. Will not descend from / into it.", "/proc is a different filesystem."),
        GrokSample("BACULA_LOG_JOBEND", "Job write elapsed time = 00:12:40, Transfer rate = 3.5 M Bytes/second", "Job write elapsed time = 00:12:40"),
        GrokSample("BACULA_LOG_NOPRUNE_JOBS", "No Jobs found to prune.", "No Jobs found."),
        GrokSample("BACULA_LOG_NOPRUNE_FILES", "No Files found to prune.", "No Files found."),
        GrokSample("BACULA_LOG_VOLUME_PREVWRITTEN", #"Volume "Full-0042" previously written, moving to end of data."#, "Volume Full-0042 written"),
        GrokSample("BACULA_LOG_READYAPPEND", #"Ready to append to end of Volume "Full-0042" size=1234567"#, #"Ready to append to end of Volume "Full-0042""#),
        GrokSample("BACULA_LOG_CANCELLING", "Cancelling duplicate JobId=77.", "Cancelling JobId=77."),
        GrokSample("BACULA_LOG_MARKCANCEL", "JobId 77, Job web.2024-03-05_23.05.00_12 marked to be canceled.", "JobId 77 marked to be canceled."),
        GrokSample("BACULA_LOG_CLIENT_RBJ", #"shell command: run ClientRunBeforeJob "/usr/local/bin/dump-db""#,
                   "shell command: run ClientRunBeforeJob /usr/local/bin/dump-db"),
        GrokSample("BACULA_LOG_VSS", "Generate VSS Writer", "VSS"),
        GrokSample("BACULA_LOG_MAXSTART", "Fatal error: Job canceled because max start delay time exceeded.", "Fatal error: Job canceled."),
        GrokSample("BACULA_LOG_DUPLICATE", "Fatal error: JobId 41 already running. Duplicate job not allowed.", "Fatal error: JobId already running."),
        GrokSample("BACULA_LOG_NOJOBSTAT", "Fatal error: No Job status returned from FD.", "No Job status returned from FD."),
        GrokSample("BACULA_LOG_FATAL_CONN", "Fatal error: bsock.c:133 Unable to connect to Client: web-fd on web.example.com:9102. ERR=Connection refused",
                   "Fatal error: Unable to connect to Client: web-fd"),
        GrokSample("BACULA_LOG_NO_CONNECT", "Warning: bsock.c:127 Could not connect to Storage daemon on sd.example.com:9103. ERR=Connection timed out",
                   "Warning: Could not connect to Storage daemon"),
        GrokSample("BACULA_LOG_NO_AUTH", #"Fatal error: Unable to authenticate with File daemon at "web.example.com:9102". Possible causes:"#,
                   "Fatal error: Unable to authenticate"),
        GrokSample("BACULA_LOG_NOSUIT", "No prior or suitable Full backup found in catalog for the current FileSet. Doing FULL backup.",
                   "No prior Full backup found."),
        GrokSample("BACULA_LOG_NOPRIOR", "No prior Full backup Job record found.", "No prior backup Job record found."),
        GrokSample("BACULA_LOG_JOB", "Bacula backup-dir 9.4.2 (04Feb19):", "Bacula backup-dir:"),
        GrokSample("BACULA_LOG", #"Created new Volume "Incr-0101" in catalog."#, "Nothing to see"),
        GrokSample("BACULA_LOGLINE", #"05-Mar 14:22 backup-dir JobId 88: Created new Volume "Incr-0101" in catalog."#,
                   "05-Mar 14:22 backup-dir: hello"),
    ]

    static let nagios: [GrokSample] = {
        var s: [GrokSample] = [
            GrokSample("NAGIOSTIME", "[1709648521]", "1709648521"),
            GrokSample("NAGIOS_WARNING", "Warning: Check result queue contained results", "warning: lower case"),
            GrokSample("NAGIOS_CURRENT_SERVICE_STATE", "CURRENT SERVICE STATE: web1;HTTP;OK;HARD;1;HTTP OK: 200", "CURRENT SERVICE STATE: web1"),
            GrokSample("NAGIOS_CURRENT_HOST_STATE", "CURRENT HOST STATE: web1;UP;HARD;1;PING OK", "CURRENT HOST STATE web1"),
            GrokSample("NAGIOS_SERVICE_NOTIFICATION", "SERVICE NOTIFICATION: admin;web1;HTTP;CRITICAL;notify-by-email;Connection refused",
                       "SERVICE NOTIFICATION: admin"),
            GrokSample("NAGIOS_HOST_NOTIFICATION", "HOST NOTIFICATION: admin;web1;DOWN;notify-host-by-email;PING CRITICAL",
                       "HOST NOTIFICATION: admin"),
            GrokSample("NAGIOS_SERVICE_ALERT", "SERVICE ALERT: web1;HTTP;CRITICAL;SOFT;2;Connection refused",
                       "SERVICE ALERT: web1;HTTP;CRITICAL;SOFT;two;Connection refused"),
            GrokSample("NAGIOS_HOST_ALERT", "HOST ALERT: web1;DOWN;HARD;3;PING CRITICAL - Packet loss = 100%", "HOST ALERT: web1;DOWN;HARD;x;y"),
            GrokSample("NAGIOS_SERVICE_FLAPPING_ALERT", "SERVICE FLAPPING ALERT: web1;HTTP;STARTED; Service appears to have started flapping",
                       "SERVICE FLAPPING ALERT: web1"),
            GrokSample("NAGIOS_HOST_FLAPPING_ALERT", "HOST FLAPPING ALERT: web1;STOPPED; Host appears to have stopped flapping",
                       "HOST FLAPPING ALERT web1"),
            GrokSample("NAGIOS_SERVICE_DOWNTIME_ALERT", "SERVICE DOWNTIME ALERT: web1;HTTP;STARTED; Service has entered a period of scheduled downtime",
                       "SERVICE DOWNTIME ALERT: web1"),
            GrokSample("NAGIOS_HOST_DOWNTIME_ALERT", "HOST DOWNTIME ALERT: web1;STARTED; Host has entered a period of scheduled downtime",
                       "HOST DOWNTIME ALERT: web1"),
            GrokSample("NAGIOS_PASSIVE_SERVICE_CHECK", "PASSIVE SERVICE CHECK: web1;backup;0;Backup OK", "PASSIVE SERVICE CHECK: web1"),
            GrokSample("NAGIOS_PASSIVE_HOST_CHECK", "PASSIVE HOST CHECK: web1;0;Host OK", "PASSIVE HOST CHECK: web1"),
            GrokSample("NAGIOS_SERVICE_EVENT_HANDLER", "SERVICE EVENT HANDLER: web1;HTTP;CRITICAL;SOFT;restart-httpd", "SERVICE EVENT HANDLER: web1"),
            GrokSample("NAGIOS_HOST_EVENT_HANDLER", "HOST EVENT HANDLER: web1;DOWN;SOFT;wake-host", "HOST EVENT HANDLER: web1"),
            GrokSample("NAGIOS_TIMEPERIOD_TRANSITION", "TIMEPERIOD TRANSITION: workhours;1;0", "TIMEPERIOD TRANSITION: workhours;x;0"),
            GrokSample("NAGIOS_EC_LINE_PROCESS_SERVICE_CHECK_RESULT", "EXTERNAL COMMAND: PROCESS_SERVICE_CHECK_RESULT;web1;backup;0;OK - done",
                       "EXTERNAL COMMAND: PROCESS_SERVICE_CHECK_RESULT"),
            GrokSample("NAGIOS_EC_LINE_PROCESS_HOST_CHECK_RESULT", "EXTERNAL COMMAND: PROCESS_HOST_CHECK_RESULT;web1;0;UP",
                       "EXTERNAL COMMAND: PROCESS_HOST_CHECK_RESULT"),
            GrokSample("NAGIOS_EC_LINE_SCHEDULE_HOST_DOWNTIME", "EXTERNAL COMMAND: SCHEDULE_HOST_DOWNTIME;web1;1709648521;1709652121;1;0;3600;admin;patching",
                       "EXTERNAL COMMAND: SCHEDULE_HOST_DOWNTIME;web1;soon;later;1;0;3600;admin;patching"),
            GrokSample("NAGIOSLOGLINE", "[1709648521] SERVICE ALERT: web1;HTTP;CRITICAL;SOFT;2;Connection refused", "SERVICE ALERT: web1"),
        ]
        // Line types and external command names are literal text.
        for type in ["CURRENT_SERVICE_STATE", "CURRENT_HOST_STATE", "SERVICE_NOTIFICATION", "HOST_NOTIFICATION", "SERVICE_ALERT",
                     "HOST_ALERT", "SERVICE_FLAPPING_ALERT", "HOST_FLAPPING_ALERT", "SERVICE_DOWNTIME_ALERT", "HOST_DOWNTIME_ALERT",
                     "PASSIVE_SERVICE_CHECK", "PASSIVE_HOST_CHECK", "SERVICE_EVENT_HANDLER", "HOST_EVENT_HANDLER", "EXTERNAL_COMMAND",
                     "TIMEPERIOD_TRANSITION"] {
            let text = type.replacingOccurrences("_", " ")
            s.append(GrokSample("NAGIOS_TYPE_" + type, text, text.lowercased()))
        }
        for command in ["DISABLE_SVC_CHECK", "ENABLE_SVC_CHECK", "DISABLE_HOST_CHECK", "ENABLE_HOST_CHECK",
                        "PROCESS_SERVICE_CHECK_RESULT", "PROCESS_HOST_CHECK_RESULT", "SCHEDULE_SERVICE_DOWNTIME",
                        "SCHEDULE_HOST_DOWNTIME", "DISABLE_HOST_SVC_NOTIFICATIONS", "ENABLE_HOST_SVC_NOTIFICATIONS",
                        "DISABLE_HOST_NOTIFICATIONS", "ENABLE_HOST_NOTIFICATIONS", "DISABLE_SVC_NOTIFICATIONS",
                        "ENABLE_SVC_NOTIFICATIONS"] {
            s.append(GrokSample("NAGIOS_EC_" + command, command, command.lowercased()))
        }
        // External command lines naming a host, or a host and a service.
        for command in ["DISABLE_HOST_CHECK", "ENABLE_HOST_CHECK", "DISABLE_HOST_SVC_NOTIFICATIONS", "ENABLE_HOST_SVC_NOTIFICATIONS",
                        "DISABLE_HOST_NOTIFICATIONS", "ENABLE_HOST_NOTIFICATIONS"] {
            s.append(GrokSample("NAGIOS_EC_LINE_" + command, "EXTERNAL COMMAND: \(command);web1", "EXTERNAL COMMAND: \(command)"))
        }
        for command in ["DISABLE_SVC_CHECK", "ENABLE_SVC_CHECK", "DISABLE_SVC_NOTIFICATIONS", "ENABLE_SVC_NOTIFICATIONS"] {
            s.append(GrokSample("NAGIOS_EC_LINE_" + command, "EXTERNAL COMMAND: \(command);web1;HTTP", "EXTERNAL COMMAND: \(command)"))
        }
        return s
    }()

    static let others: [GrokSample] = [
        // bind
        GrokSample("BIND9_TIMESTAMP", "05-Mar-2024 14:22:01.123", "2024-03-05 14:22:01"),
        GrokSample("BIND9", Line.bind, "05-Mar-2024 14:22:01.123 info: client 192.0.2.10#53001"),
        GrokSample("BIND9_DNSTYPE", "AAAA", "AAAAA"),
        GrokSample("BIND9_CATEGORY", "queries", "query"),
        GrokSample("BIND9_QUERYLOGBASE", "client 192.0.2.10#53001 (www.example.org): query: www.example.org IN AAAA +E(0) (192.0.2.53)",
                   "client 192.0.2.10 (www.example.org): query"),
        GrokSample("BIND9_QUERYLOG", Line.bind, "queries: info: client 192.0.2.10#53001"),
        // exim
        GrokSample("EXIM_MSGID", "2aB3cD-00012x-Zq", "2aB3cD-00012x"),
        GrokSample("EXIM_FLAGS", "=>", "=<"),
        GrokSample("EXIM_DATE", "2024-03-05 14:22:01", "05-03-2024 14:22:01"),
        GrokSample("EXIM_PID", "[4242]", "[x]"),
        GrokSample("EXIM_QT", "1d2h30m", "1x"),
        GrokSample("EXIM_EXCLUDE_TERMS", "Message is frozen", "Message is fine"),
        GrokSample("EXIM_REMOTE_HOST", "H=mx.example.net (helo.example.net) [198.51.100.25]:2525", "H=mx.example.net"),
        GrokSample("EXIM_INTERFACE", "I=[192.0.2.1]:25", "I=[192.0.2.1]"),
        GrokSample("EXIM_PROTOCOL", "P=esmtpsa", "P="),
        GrokSample("EXIM_MSG_SIZE", "S=2048", "S=big"),
        GrokSample("EXIM_HEADER_ID", "id=abc123@mail.example.net", "id="),
        GrokSample("EXIM_SUBJECT", #"T="Quarterly report""#, "T=Quarterly"),
        GrokSample("EXIM_UNKNOWN_FIELD", "CV=yes", "CVXYZ=yes"),
        GrokSample("EXIM_NAMED_FIELDS", " H=mx.example.net [198.51.100.25] P=esmtp S=512", "P=esmtp"),
        GrokSample("EXIM_QUOTED_CONTENT", #"a \"b\" c"#, #"a "b"#),
        GrokSample("EXIM_MESSAGE_ARRIVAL", Line.exim, Line.exim.replacingOccurrences("<=", "=>")),
        GrokSample("EXIM", Line.exim, "2024-03-05 14:22:01 2aB3cD-00012x-Zq ** bob@example.org R=router: unroutable"),
        // maven, mcollective
        GrokSample("MAVEN_VERSION", "2.3.1-SNAPSHOT", "2.3.1-BETA"),
        GrokSample("MCOLLECTIVEAUDIT", "2024-03-05T14:22:01.123456+0000:", "2024-03-05T14:22:01"),
        GrokSample("MCOLLECTIVE", "W, [2024-03-05T14:22:01.123456 #4242]  WARN", "W, 2024-03-05 WARN"),
        // mongodb
        GrokSample("MONGO_LOG", "Mar  5 14:22:01 [initandlisten] waiting for connections", "[initandlisten] waiting"),
        GrokSample("MONGO_QUERY", #"{ name: "x" } ntoreturn:1"#, #"{ name: "x" } limit:1"#, probe: "^@"),
        GrokSample("MONGO_SLOWQUERY",
                   #"query shop.orders query: { status: "open" } ntoreturn:0 ntoskip:0 nscanned:1200 keyUpdates:0 numYields: 0 nreturned:12 reslen:400 150ms"#,
                   "query shop.orders"),
        GrokSample("MONGO_WORDDASH", "shop-orders", "shop orders"),
        GrokSample("MONGO3_SEVERITY", "I", "II"),
        GrokSample("MONGO3_COMPONENT", "NETWORK", "NET WORK"),
        GrokSample("MONGO3_LOG", "2024-03-05T14:22:01.123+0000 I NETWORK  [conn42] end connection 10.0.0.5:51000", "I NETWORK [conn42] end"),
        // postgresql
        GrokSample("POSTGRESQL_TIMESTAMP", "2024-03-05 14:22:01.123", "05 March 2024"),
        GrokSample("POSTGRESQL", "2024-03-05 14:22:01.123 UTC alice 65e7a2f1.1a2b 4242", "2024-03-05T14:22:01 alice"),
        // rails
        GrokSample("RUUID", "0123456789abcdef0123456789abcdef", "0123456789abcdef0123456789abcde"),
        GrokSample("RCONTROLLER", "Admin::UsersController#show", "AdminUsersController"),
        GrokSample("RAILS3HEAD", Line.railsHead, "Started GET /users/42"),
        GrokSample("RPROCESSING", "Processing by UsersController#show as HTML", "Processing UsersController"),
        GrokSample("RAILS3PROFILE", "(Views: 5.1ms | ActiveRecord: 1.2ms", "(Views: fast"),
        GrokSample("RAILS3FOOT", "Completed 200 OK in 12ms (Views: 5.1ms | ActiveRecord: 1.2ms)", "Completed OK"),
        GrokSample("RAILS3", Line.railsHead + "\nProcessing by UsersController#show as HTML\nCompleted 200 OK in 12ms (Views: 5.1ms | ActiveRecord: 1.2ms)",
                   "Processing by UsersController#show as HTML"),
        // redis
        GrokSample("REDISTIMESTAMP", "05 Mar 14:22:01.123", "Mar 05 14:22:01"),
        GrokSample("REDISLOG", "[4242] 05 Mar 14:22:01.123 * DB saved on disk", "4242 05 Mar 14:22:01 * DB saved", probe: "^@"),
        GrokSample("REDISMONLOG", #"1709648521.123456 [0 127.0.0.1:6379] "SET" "k" "v""#, #"1709648521.123456 "SET""#),
        // ruby
        GrokSample("RUBY_LOGLEVEL", "WARN", "NOTICE"),
        GrokSample("RUBY_LOGGER", "E, [2024-03-05T14:22:01.123456 #4242] ERROR -- app: boom", "E, [2024-03-05] ERROR boom"),
        // squid
        GrokSample("SQUID3", "1709648521.123    120 10.0.0.5 TCP_MISS/200 4321 GET http://example.com/ - HIER_DIRECT/93.184.216.34 text/html",
                   "1709648521.123 10.0.0.5 TCP_MISS 200"),
        GrokSample("SQUID3_STATUS", "200", "abc"),
    ]
}

extension Line {
    static let bind = "05-Mar-2024 14:22:01.123 queries: info: client 192.0.2.10#53001 (www.example.org): query: www.example.org IN AAAA +E(0) (192.0.2.53)"
    static let exim = #"2024-03-05 14:22:01 2aB3cD-00012x-Zq <= alice@example.net H=mx.example.net [198.51.100.25] P=esmtp S=512 id=m1@example.net T="Hello" for bob@example.org"#
    static let railsHead = #"Started GET "/users/42" for 203.0.113.9 at 2024-03-05 14:22:01 +0100"#
}

// Samples for network-device and service logs: firewalls, haproxy, aws, bro/zeek, junos.
// Lines are made up for these tests.

extension GrokSamples {
    static let network: [GrokSample] = firewalls + services

    static let firewalls: [GrokSample] = [
        GrokSample("NETSCREENSESSIONLOG", Line.netscreen, "Jun  2 14:53:31 fw01 ns5gt: NetScreen hello"),
        GrokSample("CISCO_TAGGED_SYSLOG", "<189>Mar  5 14:22:01 asa01: %ASA-5-111008:", "Mar  5 14:22:01 asa01: %ASA-5-111008:"),
        GrokSample("CISCOTIMESTAMP", "Mar  5 2024 14:22:01", "2024-03-05 14:22:01"),
        GrokSample("CISCOTAG", "ASA-5-111008", "ASA-x-111008"),
        GrokSample("CISCO_ACTION", "est-allowed", "allowed"),
        GrokSample("CISCO_REASON", "DNS Query", "DNS-Query"),
        GrokSample("CISCO_DIRECTION", "outbound", "sideways"),
        GrokSample("CISCO_INTERVAL", "300-second interval", "300 seconds"),
        GrokSample("CISCO_XLATE_TYPE", "static", "dynamicx"),
        GrokSample("CISCO_HITCOUNT_INTERVAL", "hit-cnt 5 300-second interval", "hit-cnt five"),
        GrokSample("CISCO_SRC_IP_USER", #"10.0.0.5(LOCAL\bob)"#, "10.0.0.5 bob"),
        GrokSample("CISCO_DST_IP_USER", #"10.0.0.5(LOCAL\bob)"#, "10.0.0.5 bob"),
        GrokSample("CISCOFW104001", "(Primary) Switching to ACTIVE - mate unit failed", "(Primary) Switching to ACTIVE"),
        GrokSample("CISCOFW104002", "(Secondary) Switching to STANDBY - other unit wants me Standby", "(Secondary) Switching to STANDBY"),
        GrokSample("CISCOFW104003", "(Primary) Switching to FAILED.", "(Primary) Switching to FAILED"),
        GrokSample("CISCOFW104004", "(Secondary) Switching to OK.", "(Tertiary) Switching to OK."),
        GrokSample("CISCOFW105003", "(Primary) Monitoring on interface inside waiting", "(Primary) Monitoring on interface inside"),
        GrokSample("CISCOFW105004", "(Primary) Monitoring on interface inside normal", "(Primary) Monitoring on interface inside broken"),
        GrokSample("CISCOFW105005", "(Secondary) Lost Failover communications with mate on interface outside", "(Secondary) Lost Failover communications"),
        GrokSample("CISCOFW105008", "(Primary) Testing interface outside", "(Primary) Testing"),
        GrokSample("CISCOFW105009", "(Primary) Testing on interface outside Passed", "(Primary) Testing on interface outside Maybe"),
        GrokSample("CISCOFW106001", "Inbound TCP connection denied from 198.51.100.7/4242 to 10.0.0.5/22 flags SYN on interface outside",
                   "Inbound TCP connection denied from 198.51.100.7 to 10.0.0.5"),
        GrokSample("CISCOFW106006_106007_106010", "Deny inbound UDP from 198.51.100.7/5353 to 10.0.0.5/53 on interface outside",
                   "Deny inbound UDP from 198.51.100.7 to 10.0.0.5"),
        GrokSample("CISCOFW106014", "Deny inbound icmp src outside:198.51.100.7 dst inside:10.0.0.5 (type 8, code 0)",
                   "Deny inbound icmp src outside dst inside"),
        GrokSample("CISCOFW106015", "Deny TCP (no connection) from 10.0.0.5/443 to 198.51.100.7/61000 flags FIN ACK on interface inside",
                   "Deny TCP from 10.0.0.5/443"),
        GrokSample("CISCOFW106021", "Deny UDP reverse path check from 10.9.9.9 to 10.0.0.5 on interface outside", "Deny UDP reverse path check"),
        GrokSample("CISCOFW106023", #"Deny udp src outside:198.51.100.7/137 dst inside:10.0.0.5/137 by access-group "OUTSIDE_IN" [0x0, 0x0]"#,
                   "Deny udp src outside:198.51.100.7/137 dst inside:10.0.0.5/137"),
        GrokSample("CISCOFW106100_2_3", "access-list OUTSIDE_IN denied for user 'bob' outside/198.51.100.7(4242) -> inside/10.0.0.5(22) hit-cnt 1 first hit [0x3f2a1b, 0x0]",
                   "access-list OUTSIDE_IN denied"),
        GrokSample("CISCOFW106100", "access-list OUTSIDE_IN permitted tcp outside/198.51.100.7(4242) -> inside/10.0.0.5(22) hit-cnt 1 first hit [0x3f2a1b, 0x0]",
                   "access-list OUTSIDE_IN permitted tcp outside/198.51.100.7(4242) -> inside/10.0.0.5(22)"),
        GrokSample("CISCOFW110002", "Failed to locate egress interface for UDP from inside:10.0.0.5/5000 to 198.51.100.7/53", "Failed to locate egress interface"),
        GrokSample("CISCOFW304001", #"10.0.0.5(CORP\alice) Accessed URL 93.184.216.34:http://example.com/index.html"#, "10.0.0.5 visited example.com"),
        GrokSample("CISCOFW302010", "42 in use, 1024 most used", "42 in use"),
        GrokSample("CISCOFW302013_302014_302015_302016",
                   "Built inbound TCP connection 123456 for outside:198.51.100.7/4242 (198.51.100.7/4242) to inside:10.0.0.5/22 (203.0.113.5/22)",
                   "Built inbound TCP connection for outside"),
        GrokSample("CISCOFW302020_302021", "Teardown ICMP connection for faddr 198.51.100.7/1 gaddr 203.0.113.5/0 laddr 10.0.0.5/0",
                   "Teardown ICMP connection for faddr 198.51.100.7"),
        GrokSample("CISCOFW305011", "Built static TCP translation from inside:10.0.0.5/22 to outside:203.0.113.5/2222", "Built static TCP translation from inside"),
        GrokSample("CISCOFW313001_313004_313008", "Denied ICMP type=8, code=0 from 198.51.100.7 on interface outside", "Denied ICMP from 198.51.100.7"),
        GrokSample("CISCOFW313005", "No matching connection for ICMP error message: icmp src outside:198.51.100.7 dst inside:10.0.0.5 (type 3, code 1) on outside interface. Original IP payload: tcp src 10.0.0.5/22 dst 198.51.100.7/4242",
                   "No matching connection for ICMP error message"),
        GrokSample("CISCOFW321001", "Resource 'conns' limit of 100000 reached for system", "Resource conns limit reached"),
        GrokSample("CISCOFW402117", "IPSEC: Received a non-IPSec packet (protocol= TCP) from 198.51.100.7 to 203.0.113.5", "IPSEC: Received a packet"),
        GrokSample("CISCOFW402119", "IPSEC: Received an AH packet (SPI= 0xABCDEF01, sequence number= 0x10) from 198.51.100.7 (user= peer1) to 203.0.113.5 that failed anti-replay checking",
                   "IPSEC: Received an AH packet"),
        GrokSample("CISCOFW419001", "Dropping UDP packet from outside:198.51.100.7/500 to inside:10.0.0.5/500, reason: bad length", "Dropping UDP packet"),
        GrokSample("CISCOFW419002", "Duplicate TCP SYN from inside:10.0.0.5/51000 to outside:198.51.100.7/443 with different initial sequence number",
                   "Duplicate TCP SYN from inside"),
        GrokSample("CISCOFW500004", "Invalid transport field for protocol=UDP, from 10.0.0.5/0 to 198.51.100.7/0", "Invalid transport field"),
        GrokSample("CISCOFW602303_602304", "IPSEC: An inbound remote access SA (SPI= 0x1234ABCD) between 203.0.113.5 and 198.51.100.7 (user= alice) has been deleted",
                   "IPSEC: An inbound SA has been deleted"),
        GrokSample("CISCOFW710001_710002_710003_710005_710006", "UDP request discarded from 198.51.100.7/161 to outside:203.0.113.5/161", "UDP request discarded"),
        GrokSample("CISCOFW713172", "Group = vpn-peer, IP = 198.51.100.7, Automatic NAT Detection Status: Remote end is NOT behind a NAT device This end is NOT behind a NAT device",
                   "Group = vpn-peer, IP = 198.51.100.7"),
        GrokSample("CISCOFW733100", "[ Scanning] drop rate-2 exceeded. Current burst rate is 12 per second, max configured rate is 10; Current average rate is 5 per second, max configured rate is 5; Cumulative total count is 3000",
                   "[Scanning] drop rate-2 exceeded."),
        // netfilter
        GrokSample("ETHTYPE", "08:00", "0800"),
        GrokSample("NETFILTERMAC", Line.netfilterMAC, "00:11:22:33:44:55"),
        GrokSample("SFW2_MAC", Line.netfilterMAC, "00:11"),
        GrokSample("IPTABLES1", Line.iptables, "IN=eth0 SRC=198.51.100.7"),
        GrokSample("IPTABLES2", "IN=eth0 OUT= MAC= SRC=198.51.100.7 DST=10.0.0.5 LEN=84 TTL=64 PROTO=1", "IN=eth0 OUT= MAC= SRC=x"),
        GrokSample("IPTABLES", Line.iptables, "IN=eth0 SRC=198.51.100.7", probe: "^@"),
        GrokSample("IPTABLES_TCP_FLAGS", "SYN ACK ", "SYN,ACK"),
        GrokSample("IPTABLES_TCP_PART", "WINDOW=29200 RES=0x00 SYN ", "WINDOW=29200"),
        GrokSample("IPTABLES4_FRAG", "x DF", "x XF", probe: "^x @$"),
        GrokSample("IPTABLES4_PART", "SRC=198.51.100.7 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF", "SRC=198.51.100.7 DST=10.0.0.5"),
        GrokSample("IPTABLES6_PART", "SRC=2001:db8::1 DST=2001:db8::2 LEN=80 TC=0 HOPLIMIT=64 FLOWLBL=0", "SRC=2001:db8::1 DST=2001:db8::2"),
        GrokSample("SFW2_LOG_PREFIX", "SFW2-INext-ACC-TCP", "SFW2-IN-ACC-TCP"),
        GrokSample("SFW2", "Mar  5 14:22:01 gw kernel: [1234.567] SFW2-INext-DROP-DEFLT " + Line.iptables,
                   "Mar  5 14:22:01 gw kernel: SuSE-FW-DROP IN=eth0", probe: "^@"),
        GrokSample("SHOREWALL", "Mar  5 14:22:01 gw kernel: Shorewall:net2fw:DROP:" + Line.iptables,
                   "Mar  5 14:22:01 gw kernel: Firewall:DROP:IN=eth0", probe: "^@"),
        // junos
        GrokSample("RT_FLOW_EVENT", "RT_FLOW_SESSION_CREATE", "RT_FLOW_SESSION_OPEN"),
        GrokSample("RT_FLOW_TAG", "RT_FLOW_SESSION_DENY", "RT_FLOW_SESSION_OPEN"),
        GrokSample("RT_FLOW1", "RT_FLOW_SESSION_CLOSE: TCP RST: 10.0.0.5/51000->198.51.100.7/443 junos-https 203.0.113.5/40000->198.51.100.7/443 src-nat None 6 allow-web trust untrust 9001 12(3456) 10(7890) 30 UNKNOWN",
                   "RT_FLOW_SESSION_CLOSE: session closed"),
        GrokSample("RT_FLOW2", "RT_FLOW_SESSION_CREATE: session created 10.0.0.5/51000->198.51.100.7/443 junos-https 203.0.113.5/40000->198.51.100.7/443 src-nat None 6 allow-web trust untrust 9001 N/A(N/A) ge-0/0/1.0",
                   "RT_FLOW_SESSION_CREATE: session created"),
        GrokSample("RT_FLOW3", "RT_FLOW_SESSION_DENY: session denied 10.0.0.5/51000->198.51.100.7/23 junos-telnet 6(0) deny-all trust untrust UNKNOWN UNKNOWN",
                   "RT_FLOW_SESSION_DENY: denied"),
    ]

    static let services: [GrokSample] = [
        // haproxy
        GrokSample("HAPROXYTIME", "12:59:46", "12:59"),
        GrokSample("HAPROXYDATE", "09/Dec/2013:12:59:46.633", "09/Dec/2013:12:59:46"),
        GrokSample("HAPROXYCAPTUREDREQUESTHEADERS", "<host.example|ua>", "<host.example|ua", probe: "^<@>$"),
        GrokSample("HAPROXYCAPTUREDRESPONSEHEADERS", "<text/html|>", "<text/html|", probe: "^<@>$"),
        GrokSample("HAPROXYURI", "http://user@api.example.com:8080/v1/items?limit=5", "http://api example"),
        GrokSample("HAPROXYHTTPREQUESTLINE", "GET /v1/items HTTP/1.1", "GET"),
        GrokSample("HAPROXYHTTPBASE", Line.haproxyHTTP, "192.0.2.44:51000 [05/Mar/2024:14:22:01.123] web~ app/srv2 200 1534"),
        GrokSample("HAPROXYHTTP", "Mar  5 14:22:01 lb1 haproxy[2211]: " + Line.haproxyHTTP, Line.haproxyHTTP),
        GrokSample("HAPROXYTCP", "Mar  5 14:22:01 lb1 haproxy[2211]: " + Line.haproxyTCP, Line.haproxyTCP),
        // aws
        GrokSample("S3_REQUEST_LINE", "<GET /bucket/key HTTP/1.1>", "<GET /bucket/key HTTP/1.1", probe: "^<@>$"),
        GrokSample("S3_ACCESS_LOG", Line.s3, Line.s3.replacingOccurrences("[11/Mar/2021:10:20:30 +0000]", "11/Mar/2021:10:20:30")),
        GrokSample("ELB_URIPATHPARAM", "/index.html?x=1", "index.html"),
        GrokSample("ELB_URI", "https://shop.example.com:443/cart?id=3", "shop.example.com/cart"),
        GrokSample("ELB_URIHOST", "shop.example.com:443", "shop.example.com:port"),
        GrokSample("ELB_URIPATHQUERY", "/cart?id=3", "cart?id=3"),
        GrokSample("ELB_REQUEST_LINE", "<GET https://shop.example.com:443/cart HTTP/1.1>", "<GET https://shop.example.com:443/cart HTTP/1.1",
                   probe: "^<@>$"),
        GrokSample("ELB_ACCESS_LOG", Line.elb, Line.elb.replacingOccurrences(":51234 10.0.1.15:8080", " 10.0.1.15")),
        GrokSample("ELB_V1_HTTP_LOG", Line.elb, Line.elb.replacingOccurrences(":51234 10.0.1.15:8080", " 10.0.1.15")),
        GrokSample("CLOUDFRONT_ACCESS_LOG", Line.cloudfront, Line.cloudfront.replacingOccurrences("\t", " ")),
        // bro and zeek
        GrokSample("BRO_BOOL", "T", "Y"),
        GrokSample("BRO_DATA", "a b", "a\tb"),
        GrokSample("BRO_FILES_TX_HOSTS", "10.0.0.1 10.0.0.2", "10.0.0.1;10.0.0.2"),
        GrokSample("BRO_FILES_RX_HOSTS", "10.0.0.1,10.0.0.2", "10.0.0.1;10.0.0.2"),
        GrokSample("BRO_HTTP", Line.broHTTP, "1600000000.123456\tCabc123\t10.0.0.1"),
        GrokSample("BRO_DNS", Line.broDNS, "1600000000.123456 Cdns1 10.0.0.1"),
        GrokSample("BRO_CONN", Line.broConn, "not a conn log"),
        GrokSample("BRO_FILES", Line.broFiles, "1600000000.123456\tFfile1"),
        GrokSample("ZEEK_BOOL", "F", "N"),
        GrokSample("ZEEK_DATA", "a b", "a\tb"),
        GrokSample("ZEEK_FILES_TX_HOSTS", "10.0.0.1 10.0.0.2", "10.0.0.1;10.0.0.2"),
        GrokSample("ZEEK_FILES_RX_HOSTS", "-", "--"),
        GrokSample("ZEEK_HTTP", "1600000000.123456\tCabc123\t10.0.0.1\t50000\t93.184.216.34\t80\t1\tGET\texample.com\t/index.html\t-\t1.1\tcurl/7.68.0\t-\t0\t1256\t200\tOK\t-\t-\t(empty)\t-\t-\t-\t-\t-\t-\tFhash1\t-\ttext/html",
                   Line.broHTTP),
        GrokSample("ZEEK_DNS", "1600000000.123456\tCdns1\t10.0.0.1\t53000\t10.0.0.53\t53\tudp\t4242\t0.012\texample.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34\t3600.000000\tF",
                   Line.broDNS),
        GrokSample("ZEEK_CONN", "1600000000.123456\tCconn1\t10.0.0.1\t50000\t93.184.216.34\t443\ttcp\tssl\t1.234\t517\t4096\tSF\tT\tF\t0\tShADadFf\t10\t1041\t9\t4564\t-",
                   "not a conn log"),
        GrokSample("ZEEK_FILES", "1600000000.123456\tFfile1\t93.184.216.34\t10.0.0.1\tCconn1\tHTTP\t0\tMD5\ttext/html\t-\t0.001\t-\tF\t1256\t1256\t0\t0\tF\t-\td41d8cd98f00b204e9800998ecf8427e\t-\t-\t-\tF\t0",
                   "1600000000.123456\tFfile1"),
    ]
}

extension Line {
    static let netscreen = #"Jun  2 14:53:31 fw01 ns5gt: NetScreen device_id=0123456789 [Root]system-notification-00257(traffic): start_time="2021-06-02 14:53:30" duration=5 policy_id=7 service=http proto=6 src zone=Trust dst zone=Untrust action=Permit sent=1024 rcvd=2048 src=10.0.0.5 dst=93.184.216.34 src_port=51515 dst_port=80 src-xlated ip=198.51.100.1 port=40000 dst-xlated ip=93.184.216.34 port=80 session_id=12345 reason=Close - TCP FIN"#
    static let netfilterMAC = "00:11:22:33:44:55:66:77:88:99:aa:bb:08:00"
    static let iptables = "IN=eth0 OUT= MAC=\(netfilterMAC) SRC=198.51.100.7 DST=10.0.0.5 LEN=60 TOS=0x00 PREC=0x00 TTL=52 ID=1 DF PROTO=TCP SPT=4242 DPT=22 WINDOW=29200 RES=0x00 SYN URGP=0"
    static let haproxyHTTP = #"192.0.2.44:51000 [05/Mar/2024:14:22:01.123] web~ app/srv2 10/0/1/25/36 200 1534 - - ---- 3/3/1/1/0 0/0 "GET /v1/items HTTP/1.1""#
    static let haproxyTCP = "192.0.2.44:51000 [05/Mar/2024:14:22:01.123] db-in db/pg1 0/1/5023 8120 -- 2/2/1/1/0 0/0"
    static let s3 = #"8f2e owner-bucket [11/Mar/2021:10:20:30 +0000] 203.0.113.9 arn:aws:iam::111:user/ci 9A1B2C3D4E5F REST.PUT.OBJECT logs/app.gz "PUT /owner-bucket/logs/app.gz HTTP/1.1" 200 - - 20480 35 12 "-" "aws-cli/2.0" -"#
    static let elb = #"2023-05-01T12:00:00.123456Z web-elb 198.51.100.7:51234 10.0.1.15:8080 0.000021 0.004102 0.000018 200 200 0 512 "GET https://shop.example.com:443/cart HTTP/1.1""#
    static let cloudfront = "2021-03-11\t10:20:30\tFRA2\t2048\t203.0.113.9\tGET\tabc123.cloudfront.net\t/img/logo.png\t200\t-\tcurl/7.68.0\t-\t-\tMiss\tQ1w2E3r4==\tcdn.example.com\thttps\t150\t0.012\t-\tTLSv1.3\tTLS_AES_128_GCM_SHA256\tMiss"
    static let broHTTP = "1600000000.123456\tCabc123\t10.0.0.1\t50000\t93.184.216.34\t80\t1\tGET\texample.com\t/index.html\t-\tcurl/7.68.0\t0\t1256\t200\tOK\t-\t-\t-\t(empty)\t-\t-\t-\t-\t-\tFhash1\ttext/html"
    static let broDNS = "1600000000.123456\tCdns1\t10.0.0.1\t53000\t10.0.0.53\t53\tudp\t4242\texample.com\t1\tC_INTERNET\t1\tA\t0\tNOERROR\tF\tF\tT\tT\t0\t93.184.216.34\t3600.000000\tF"
    static let broConn = "1600000000.123456\tCconn1\t10.0.0.1\t50000\t93.184.216.34\t443\ttcp\tssl\t1.234\t517\t4096\tSF\tT\t0\tShADadFf\t10\t1041\t9\t4564\t(empty)"
    static let broFiles = "1600000000.123456\tFfile1\t93.184.216.34\t10.0.0.1\tCconn1\tHTTP\t0\tMD5,SHA1\ttext/html\t-\t0.001\t-\tF\t1256\t1256\t0\t0\tF\t-\td41d8cd98f00b204e9800998ecf8427e\tda39a3ee5e6b4b0d3255bfef95601890afd80709\t-\t-"
}

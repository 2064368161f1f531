import SluiceCore

/// The `date_pattern` of both Google outputs (object names, table names): the Ruby strftime
/// directives the Logstash plugins' files use (`%Y %m %d %H %M %S %y %j %%`), in UTC. Other
/// directives are kept as written.
enum GoogleDatePattern {
    static func format(_ pattern: String, _ time: Timestamp) -> String {
        let c = time.components()
        func pad(_ v: Int, _ n: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, n - s.count)) + s
        }
        var out = ""
        var percent = false
        for ch in pattern {
            guard percent else {
                if ch == "%" { percent = true } else { out.append(ch) }
                continue
            }
            percent = false
            switch ch {
            case "Y": out += String(c.year)
            case "y": out += pad(c.year % 100, 2)
            case "m": out += pad(c.month, 2)
            case "d": out += pad(c.day, 2)
            case "H": out += pad(c.hour, 2)
            case "M": out += pad(c.minute, 2)
            case "S": out += pad(c.second, 2)
            case "j": out += pad(c.dayOfYear, 3)
            case "%": out += "%"
            default: out += "%" + String(ch)
            }
        }
        if percent { out += "%" }
        return out
    }
}

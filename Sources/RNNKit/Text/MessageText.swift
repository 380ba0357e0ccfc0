/// How the readers' messages quote user data.
enum MessageText {
    /// User text quoted in a message, shortened so a stray megabyte-long cell cannot flood the terminal.
    static func clip(_ s: String) -> String {
        s.count > 60 ? String(s.prefix(57)) + "..." : s
    }

    /// A threshold or label value as people write it: `0`, `2.5`.
    static func number(_ x: Double) -> String {
        x == x.rounded() && abs(x) < 1e15 ? String(Int(x)) : String(x)
    }

    /// `count` and `noun`, plural when the count is not one: `1 row`, `2 rows`.
    static func count(_ count: Int, _ noun: String) -> String {
        "\(count) \(noun)\(count == 1 ? "" : "s")"
    }

    /// A whole number with thousands separators, as people read large counts: `29,000`.
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (k, d) in digits.enumerated() {
            if k > 0, (digits.count - k) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return n < 0 ? "-" + out : out
    }
}

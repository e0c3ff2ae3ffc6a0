//! The EHLO capabilities a client uses (RFC 5321 §4.1.1.1 and the extension RFCs).

/// What the server offered in its EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// SIZE (RFC 1870): the limit in octets; `None` when absent, without a number or 0
    /// (no limit).
    pub size: Option<u64>,
    /// Whether SIZE was advertised at all.
    pub size_advertised: bool,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH mechanisms (RFC 4954), upper-cased.
    pub auth: Vec<String>,
}

impl Capabilities {
    /// Reads the lines of an EHLO reply (the first line is the greeting and is skipped).
    pub fn parse<S: AsRef<str>>(lines: &[S]) -> Capabilities {
        let mut caps = Capabilities::default();
        for line in lines.iter().skip(1) {
            let line = line.as_ref().trim();
            // `AUTH=PLAIN LOGIN` is the pre-standard form some servers still send.
            let mut words = line.split([' ', '=']);
            let keyword = words.next().unwrap_or("").to_ascii_uppercase();
            match keyword.as_str() {
                "SIZE" => {
                    caps.size_advertised = true;
                    caps.size = words
                        .next()
                        .and_then(|n| n.parse::<u64>().ok())
                        .filter(|&n| n > 0);
                }
                "PIPELINING" => caps.pipelining = true,
                "8BITMIME" => caps.eight_bit_mime = true,
                "SMTPUTF8" => caps.smtputf8 = true,
                "CHUNKING" => caps.chunking = true,
                "ENHANCEDSTATUSCODES" => caps.enhanced_status_codes = true,
                "DSN" => caps.dsn = true,
                "STARTTLS" => caps.starttls = true,
                "AUTH" => {
                    for mech in words.filter(|w| !w.is_empty()) {
                        let mech = mech.to_ascii_uppercase();
                        if !caps.auth.contains(&mech) {
                            caps.auth.push(mech);
                        }
                    }
                }
                _ => {}
            }
        }
        caps
    }

    /// Whether the AUTH mechanism `mech` was offered.
    pub fn offers_auth(&self, mech: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mech))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_postfix_like_reply() {
        let caps = Capabilities::parse(&[
            "mail.example.com",
            "PIPELINING",
            "SIZE 10240000",
            "ETRN",
            "STARTTLS",
            "AUTH PLAIN LOGIN",
            "AUTH=PLAIN LOGIN",
            "ENHANCEDSTATUSCODES",
            "8BITMIME",
            "DSN",
            "SMTPUTF8",
            "CHUNKING",
        ]);
        assert_eq!(caps.size, Some(10_240_000));
        assert!(caps.pipelining && caps.starttls && caps.eight_bit_mime && caps.dsn);
        assert!(caps.smtputf8 && caps.chunking && caps.enhanced_status_codes);
        assert_eq!(caps.auth, vec!["PLAIN".to_string(), "LOGIN".to_string()]);
        assert!(caps.offers_auth("login"));
    }

    #[test]
    fn size_without_number_or_zero_means_no_limit() {
        for line in ["SIZE", "SIZE 0", "size", "SIZE abc"] {
            let caps = Capabilities::parse(&["host", line]);
            assert_eq!(caps.size, None, "{line}");
            assert!(caps.size_advertised);
        }
        assert_eq!(Capabilities::parse(&["host", "SIZE 1"]).size, Some(1));
    }

    #[test]
    fn the_greeting_line_is_not_a_capability() {
        assert!(!Capabilities::parse(&["STARTTLS"]).starttls);
    }
}

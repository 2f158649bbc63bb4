//! Host-name and port matching shared by the egress decision (SPEC 6.4, ISO-9) and the private
//! DNS view (ISO-12): normalisation, `*.` wildcards, and `portRanges` strings.
//!
//! Must not depend on any other amlite module; no IO.

/// Normalises a host for comparison: trims whitespace, lower-cases (DNS names are
/// case-insensitive), drops one trailing `.`, and strips a `:port` suffix if present
/// (`[v6]:port` keeps the bracketed address without brackets; a bare IPv6 address is kept as is).
pub fn normalize_host(host: &str) -> String {
    let h = host.trim();
    let h = if let Some(rest) = h.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else if h.matches(':').count() == 1 {
        h.split(':').next().unwrap_or(h)
    } else {
        h
    };
    let h = h.strip_suffix('.').unwrap_or(h);
    h.to_ascii_lowercase()
}

/// Splits `host[:port]` (or `[v6]:port`) into the normalised host and the port, if one is given
/// and numeric. `"Example.com:8080"` → `("example.com", Some(8080))`; `"example.com"` →
/// `("example.com", None)`; a bare IPv6 address has no port.
pub fn split_host_port(s: &str) -> (String, Option<u16>) {
    let t = s.trim();
    let port_part = if let Some(rest) = t.strip_prefix('[') {
        rest.split_once("]:").map(|(_, p)| p)
    } else if t.matches(':').count() == 1 {
        t.split_once(':').map(|(_, p)| p)
    } else {
        None
    };
    (
        normalize_host(t),
        port_part.and_then(|p| p.trim().parse::<u16>().ok()),
    )
}

/// Does `host` match `pattern`? Both are normalised with [`normalize_host`] first.
///
/// - `*.example.com` matches one or more labels before `.example.com` (`a.example.com`,
///   `a.b.example.com`) but not `example.com` itself (Azure FQDN-rule semantics, ISO-9).
/// - Any other pattern must equal the host exactly (case-insensitive).
/// - A `*` anywhere but the leading `*.` is not supported and matches nothing.
pub fn host_matches_pattern(pattern: &str, host: &str) -> bool {
    let pattern = normalize_host(pattern);
    let host = normalize_host(host);
    if host.is_empty() {
        return false;
    }
    match pattern.strip_prefix('*') {
        Some(suffix) => {
            if !suffix.starts_with('.') || suffix.contains('*') || suffix.len() < 2 {
                return false;
            }
            match host.strip_suffix(suffix) {
                Some(prefix) => !prefix.is_empty() && prefix.split('.').all(|l| !l.is_empty()),
                None => false,
            }
        }
        None => !pattern.contains('*') && pattern == host,
    }
}

/// A parsed `portRanges` value of a service-tag rule: a set of inclusive port ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortRanges(Vec<(u16, u16)>);

impl PortRanges {
    /// Every port, `1-65535` (what `*` and an empty string mean).
    pub fn all() -> PortRanges {
        PortRanges(vec![(1, u16::MAX)])
    }

    /// Parses `"80,443"`, `"1-65535"`, `"8000-8080, 443"`, `"*"`. An empty (or all-whitespace)
    /// string means every port. Returns `None` for anything malformed (a non-number, a reversed
    /// or zero port, an empty item), so a bad rule opens nothing.
    pub fn parse(s: &str) -> Option<PortRanges> {
        let s = s.trim();
        if s.is_empty() || s == "*" {
            return Some(PortRanges::all());
        }
        let mut ranges = Vec::new();
        for item in s.split(',') {
            let item = item.trim();
            let (lo, hi) = match item.split_once('-') {
                Some((lo, hi)) => (parse_port(lo)?, parse_port(hi)?),
                None => {
                    let p = parse_port(item)?;
                    (p, p)
                }
            };
            if lo > hi {
                return None;
            }
            ranges.push((lo, hi));
        }
        Some(PortRanges(ranges))
    }

    /// `true` when `port` lies in one of the ranges.
    pub fn contains(&self, port: u16) -> bool {
        self.0.iter().any(|&(lo, hi)| lo <= port && port <= hi)
    }
}

fn parse_port(s: &str) -> Option<u16> {
    match s.trim().parse::<u16>() {
        Ok(0) | Err(_) => None,
        Ok(p) => Some(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_trailing_dot_and_port() {
        for (input, want) in [
            ("Example.COM", "example.com"),
            ("example.com.", "example.com"),
            ("example.com:443", "example.com"),
            (" [::1]:8080 ", "::1"),
            ("::1", "::1"),
            ("127.0.0.1:5000", "127.0.0.1"),
        ] {
            assert_eq!(normalize_host(input), want, "input {input:?}");
        }
    }

    #[test]
    fn splits_host_and_port() {
        assert_eq!(
            split_host_port("Example.com:8080"),
            ("example.com".into(), Some(8080))
        );
        assert_eq!(split_host_port("example.com"), ("example.com".into(), None));
        assert_eq!(split_host_port("[::1]:5000"), ("::1".into(), Some(5000)));
        assert_eq!(split_host_port("::1"), ("::1".into(), None));
        assert_eq!(split_host_port("h:x"), ("h".into(), None));
    }

    #[test]
    fn wildcard_and_exact_matching() {
        let table = [
            ("*.example.com", "a.example.com", true),
            ("*.example.com", "a.b.example.com", true),
            ("*.example.com", "A.Example.COM", true),
            ("*.EXAMPLE.com", "a.example.com.", true),
            ("*.example.com", "example.com", false),
            ("*.example.com", "badexample.com", false),
            ("*.example.com", ".example.com", false),
            ("*.example.com", "a..example.com", false),
            ("*.example.com", "example.com.evil.net", false),
            ("example.com", "example.com", true),
            ("example.com", "EXAMPLE.com", true),
            ("example.com", "a.example.com", false),
            ("pypi.org", "pypi.org.evil.net", false),
            ("*", "anything.com", false),
            ("*.", "anything.com", false),
            ("a.*.com", "a.b.com", false),
            ("*example.com", "aexample.com", false),
            ("*.*.com", "a.b.com", false),
            ("example.com", "", false),
        ];
        for (pattern, host, want) in table {
            assert_eq!(
                host_matches_pattern(pattern, host),
                want,
                "{pattern} vs {host}"
            );
        }
    }

    #[test]
    fn port_ranges() {
        let table: [(&str, &[(u16, bool)]); 7] = [
            (
                "80,443",
                &[(80, true), (443, true), (8080, false), (1, false)],
            ),
            ("1-65535", &[(1, true), (65535, true), (22, true)]),
            ("*", &[(1, true), (65535, true)]),
            ("", &[(22, true)]),
            (
                "8000-8080, 443",
                &[(8000, true), (8080, true), (8081, false), (443, true)],
            ),
            (" 443 ", &[(443, true), (80, false)]),
            ("22-22", &[(22, true), (23, false)]),
        ];
        for (input, cases) in table {
            let r = PortRanges::parse(input);
            let Some(r) = r else {
                panic!("{input:?} should parse")
            };
            for &(port, want) in cases {
                assert_eq!(r.contains(port), want, "{input:?} port {port}");
            }
        }
        for bad in [
            "http", "80,,443", "0", "443-80", "70000", "1-", "-5", "80;443",
        ] {
            assert_eq!(PortRanges::parse(bad), None, "{bad:?} should be rejected");
        }
    }
}

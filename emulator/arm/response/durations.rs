//! ISO-8601 durations as the contracts' `format: duration` means them: the check applied before
//! a stored duration is echoed, and milliseconds rendered as one.

/// Whether `s` is an ISO-8601 duration as the contracts' `format: duration` means it
/// (`PT5S`, `PT0.5S`, `P1DT2H`, `-PT1M`): `P`, date parts `nY nM nW nD`, then `T` and time parts
/// `nH nM nS` in that order, at least one part, decimals allowed.
pub fn is_duration(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let Some(rest) = s.strip_prefix('P') else {
        return false;
    };
    let (date, time) = match rest.split_once('T') {
        Some((d, t)) if !t.is_empty() => (d, Some(t)),
        Some(_) => return false,
        None => (rest, None),
    };
    let parts = |text: &str, units: &[char]| -> Option<usize> {
        let (mut count, mut next_unit, mut number) = (0, 0, String::new());
        for c in text.chars() {
            if c.is_ascii_digit() || (c == '.' && !number.is_empty() && !number.contains('.')) {
                number.push(c);
                continue;
            }
            let pos = units.iter().skip(next_unit).position(|u| *u == c)? + next_unit;
            if number.is_empty() || number.ends_with('.') {
                return None;
            }
            (next_unit, count) = (pos + 1, count + 1);
            number.clear();
        }
        number.is_empty().then_some(count)
    };
    let d = parts(date, &['Y', 'M', 'W', 'D']);
    let t = time.map_or(Some(0), |t| parts(t, &['H', 'M', 'S']));
    matches!((d, t), (Some(a), Some(b)) if a + b > 0)
}

/// Milliseconds as an ISO-8601 duration (`PT5S`, `PT0.5S`).
pub fn format_duration_ms(ms: u64) -> String {
    if ms.is_multiple_of(1000) {
        format!("PT{}S", ms / 1000)
    } else {
        format!("PT{}S", ms as f64 / 1000.0)
    }
}

//! Durations as written in configuration: `1500ms`, `2s`, `10m`, `24h`, or a sum such as `1m30s`.

use std::time::Duration;

/// Parses a duration: one or more `<integer><unit>` parts, unit `ms`, `s`, `m` or `h`, no
/// spaces, total greater than zero. Returns `None` for anything else.
pub fn parse(text: &str) -> Option<Duration> {
    let mut rest = text;
    let mut total = Duration::ZERO;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit_ms, unit_len) = if rest.starts_with("ms") {
            (1, 2)
        } else if rest.starts_with('s') {
            (1_000, 1)
        } else if rest.starts_with('m') {
            (60_000, 1)
        } else if rest.starts_with('h') {
            (3_600_000, 1)
        } else {
            return None;
        };
        rest = &rest[unit_len..];
        let part = number.checked_mul(unit_ms)?;
        total = total.checked_add(Duration::from_millis(part))?;
    }
    (total > Duration::ZERO).then_some(total)
}

/// The duration in its largest whole unit (`1500ms`, `2s`, `10m`, `24h`), as [`parse`] reads it.
pub fn format(d: Duration) -> String {
    let ms = d.as_millis();
    match ms {
        _ if ms > 0 && ms.is_multiple_of(3_600_000) => format!("{}h", ms / 3_600_000),
        _ if ms > 0 && ms.is_multiple_of(60_000) => format!("{}m", ms / 60_000),
        _ if ms > 0 && ms.is_multiple_of(1_000) => format!("{}s", ms / 1_000),
        _ => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_in_the_largest_whole_unit_and_reads_back() {
        for (d, text) in [
            (Duration::from_millis(1500), "1500ms"),
            (Duration::from_secs(2), "2s"),
            (Duration::from_secs(90), "90s"),
            (Duration::from_secs(120), "2m"),
            (Duration::from_secs(600), "10m"),
            (Duration::from_secs(86_400), "24h"),
        ] {
            assert_eq!(format(d), text);
            assert_eq!(parse(text), Some(d));
        }
    }

    #[test]
    fn accepts_each_unit_and_sums() {
        assert_eq!(parse("1500ms"), Some(Duration::from_millis(1500)));
        assert_eq!(parse("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse("10m"), Some(Duration::from_secs(600)));
        assert_eq!(parse("24h"), Some(Duration::from_secs(86_400)));
        assert_eq!(parse("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse("1h500ms"), Some(Duration::from_millis(3_600_500)));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "",
            "2",
            "s",
            "2 s",
            " 2s",
            "2s ",
            "1.5s",
            "-2s",
            "2sec",
            "2d",
            "0s",
            "0ms",
            "2S",
            "99999999999999999999h",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}

//! insta snapshots of goshim's user-facing output: the text is [`World::redact`]ed (paths,
//! named proxies, goshim's version), then insta's [`FILTERS`] replace what varies from run to
//! run (timings, latencies, ages, times, other loopback ports). Both keep the width of what
//! they replace inside a table's columns, so the snapshots test column alignment.
//!
//! ```ignore
//! use crate::support::snap::assert_snapshot;
//! assert_snapshot!(w, "doctor_healthy", w.goshim(&["doctor"]).stdout());
//! ```
//!
//! A missing or different snapshot fails the test; `cargo insta review` (or
//! `INSTA_UPDATE=always`) writes the new one for review. Snapshots live in `snapshots/` next to
//! the test file.
//!
//! [`World::redact`]: super::world::World::redact

/// (regex, replacement) pairs, applied in order.
pub const FILTERS: &[(&str, &str)] = &[
    // `goshim probe`'s closing line: wall time with two decimals.
    (r"decided in \d+\.\d+ ms", "decided in N ms"),
    // A latency cell of a table: the digits, then at least the two spaces before the next
    // column. A number of d digits becomes `N` and d-1 more spaces, so the column still lines up.
    (r"\b\d{4} ms  ", "N ms     "),
    (r"\b\d{3} ms  ", "N ms    "),
    (r"\b\d{2} ms  ", "N ms   "),
    // Any other duration in milliseconds (`healthy, 3 ms, sumdb yes`, `timed out after 300 ms`).
    (r"\b\d+ ms\b", "N ms"),
    // An age cell of a table (`AGE` is as wide as a one-digit age).
    (r"  \d s\b", "  N s"),
    // An age in words.
    (r"\bchecked \d+ s ago\b", "checked N s ago"),
    // JSON numbers that are timings, ages or times; `null` stays.
    (r#""latency_ms": \d+"#, r#""latency_ms": "[ms]""#),
    (r#""age_s": \d+"#, r#""age_s": "[s]""#),
    (r#""elapsed_us": \d+"#, r#""elapsed_us": "[us]""#),
    (r#""checked_at": \d+"#, r#""checked_at": "[unix time]""#),
    // A loopback port the world did not name (every ephemeral port has five digits).
    (r"127\.0\.0\.1:\d{5}\b", "127.0.0.1:PORT_"),
];

/// Settings with [`FILTERS`]; no expression in the snapshot header (it would be the macro's).
pub fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    for (regex, replacement) in FILTERS {
        settings.add_filter(regex, *replacement);
    }
    settings.set_omit_expression(true);
    settings
}

/// `assert_snapshot!(world, "name", text)`: `text` redacted by the world, filtered, compared
/// with `snapshots/<crate>__<module path>__<name>.snap` next to the calling file.
macro_rules! assert_snapshot {
    ($world:expr, $name:expr, $text:expr) => {{
        let _filters = $crate::support::snap::settings().bind_to_scope();
        insta::assert_snapshot!($name, $world.redact(&$text));
    }};
}

pub(crate) use assert_snapshot;

/// Each filter on the text it is for: the table keeps its columns whatever the digits were, and
/// numbers that are not timings stay.
#[test]
fn filters_keep_the_columns() {
    let _filters = settings().bind_to_scope();
    let text = "  CANDIDATE  VERDICT  LATENCY  SUMDB  AGE  REASON
  a          healthy  3 ms     yes    0 s  answered
  b          healthy  12 ms    yes    7 s  answered
  c          healthy  123 ms   yes    -    timed out (deadline) after 600 ms
  d          healthy  1234 ms  yes    -    -
a: healthy, 12 ms, sumdb yes, checked 13 s ago: answered
decided in 12.34 ms (probed)
\"latency_ms\": 12, \"latency_ms\": null, \"age_s\": 3, \"elapsed_us\": 1234, \"checked_at\": 1700000000
http://127.0.0.1:41234 127.0.0.1:8080 go 1.22, 1.22 s, v1 s, 3 sec";
    insta::assert_snapshot!(text, @r#"
      CANDIDATE  VERDICT  LATENCY  SUMDB  AGE  REASON
      a          healthy  N ms     yes    N s  answered
      b          healthy  N ms     yes    N s  answered
      c          healthy  N ms     yes    -    timed out (deadline) after N ms
      d          healthy  N ms     yes    -    -
    a: healthy, N ms, sumdb yes, checked N s ago: answered
    decided in N ms (probed)
    "latency_ms": "[ms]", "latency_ms": null, "age_s": "[s]", "elapsed_us": "[us]", "checked_at": "[unix time]"
    http://127.0.0.1:PORT_ 127.0.0.1:8080 go 1.22, 1.22 s, v1 s, 3 sec
    "#);
}

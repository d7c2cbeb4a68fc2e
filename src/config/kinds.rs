//! The kinds of single value a key holds: how each is read from TOML and checked, how it is
//! written back in reports and the README, and how it merges (through
//! [`super::merge::Merging`]). Lists are in [`super::lists`].
//!
//! A scalar kind implements [`ScalarKind`]: `bool`, [`Duration`], every [`Choice`] enum, [`Count`],
//! and the checked strings [`SumdbName`], [`ModuleVersion`] and [`GoCommand`]. Each error names
//! the key and says how to fix the value, at the value's line and column.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml::Spanned;
use toml::de::{DeString, DeValue};

use super::key::{Gate, Kind};
use super::merge::Merging;
use super::parse::{File, leaf, type_name};
use super::schema::Config;
use super::{ConfigError, Origin, Sourced, duration};

/// Where a scalar's merged value lives: a value that always has a default (`Sourced<V>`), or one
/// that may be unset (`Option<Sourced<V>>`).
pub trait Slot<V>: Clone + std::fmt::Debug + Eq {
    /// The default as the table writes it.
    type Default;
    fn initial(default: Self::Default) -> Self;
    fn get(&self) -> Option<&Sourced<V>>;
    fn set(&mut self, value: Sourced<V>);
}

impl<V: Clone + std::fmt::Debug + Eq> Slot<V> for Sourced<V> {
    type Default = V;
    fn initial(default: V) -> Self {
        Sourced::default_value(default)
    }
    fn get(&self) -> Option<&Sourced<V>> {
        Some(self)
    }
    fn set(&mut self, value: Sourced<V>) {
        *self = value;
    }
}

impl<V: Clone + std::fmt::Debug + Eq> Slot<V> for Option<Sourced<V>> {
    type Default = Option<V>;
    fn initial(default: Option<V>) -> Self {
        default.map(Sourced::default_value)
    }
    fn get(&self) -> Option<&Sourced<V>> {
        self.as_ref()
    }
    fn set(&mut self, value: Sourced<V>) {
        *self = Some(value);
    }
}

/// A kind of single value.
pub trait ScalarKind: 'static {
    /// The value the configuration holds.
    type Value: Clone + std::fmt::Debug + Eq + 'static;
    /// Where it lives in the merged configuration.
    type Slot: Slot<Self::Value>;
    /// How the README names the kind.
    fn kind() -> String;
    /// Reads and checks the value of key `full`.
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<Self::Value, ConfigError>;
    /// The value as a configuration file writes it (ignored-setting reports, the README).
    fn written(value: &Self::Value) -> String;
    /// The value as `goshim explain` shows it.
    fn plain(value: &Self::Value) -> String {
        Self::written(value)
    }
}

impl<K: ScalarKind> Kind for K {
    type Merged = K::Slot;
    type Layered = Option<Sourced<K::Value>>;
    type Item = K::Value;
    type Default = <K::Slot as Slot<K::Value>>::Default;
    const LIST: bool = false;

    fn kind() -> String {
        K::kind()
    }

    fn merged(default: Self::Default) -> K::Slot {
        K::Slot::initial(default)
    }

    fn parse(
        file: &File<'_>,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
        _extend: bool,
        slot: &mut Self::Layered,
    ) -> Result<(), ConfigError> {
        *slot = Some(file.sourced(key, K::parse(file, value, full)?));
        Ok(())
    }

    fn apply(
        m: &mut Merging<'_>,
        key: &'static str,
        new: Self::Layered,
        gate: &Gate<K::Value>,
        slot: fn(&mut Config) -> &mut K::Slot,
        trusted: fn(&Config) -> &K::Slot,
    ) {
        m.scalar(key, new, gate, slot, trusted, K::written);
    }

    fn shown(merged: &K::Slot) -> Vec<(String, &Origin)> {
        merged
            .get()
            .map(|s| (K::plain(&s.value), &s.origin))
            .into_iter()
            .collect()
    }

    fn written(merged: &K::Slot) -> String {
        merged
            .get()
            .map_or_else(|| "unset".into(), |s| K::written(&s.value))
    }

    fn trust_text(gate: &Gate<K::Value>) -> String {
        match gate {
            Gate::Narrowing([]) => "only the value the trusted layers set".into(),
            Gate::Narrowing(values) => {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| format!("`{}`", K::written(v)))
                    .collect();
                format!(
                    "only {}, or the value the trusted layers set",
                    values.join(" or ")
                )
            }
            other => common_trust_text(other),
        }
    }
}

/// What the gates every kind shares let an untrusted `.gomodrc` do.
pub(super) fn common_trust_text<T>(gate: &Gate<T>) -> String {
    match gate {
        Gate::Always => "applies",
        Gate::Trusted => "ignored until trusted",
        Gate::Narrowing(_) => "narrowing only",
        Gate::UserFilesOnly => "never read (system and user files only)",
    }
    .into()
}

impl ScalarKind for bool {
    type Value = bool;
    type Slot = Sourced<bool>;
    fn kind() -> String {
        "boolean".into()
    }
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<bool, ConfigError> {
        match value.get_ref() {
            DeValue::Boolean(b) => Ok(*b),
            other => Err(file.at(
                value,
                format!("{full} must be true or false, not {}", type_name(other)),
                format!(
                    "write {} = true or {} = false (no quotes)",
                    leaf(full),
                    leaf(full)
                ),
            )),
        }
    }
    fn written(value: &bool) -> String {
        value.to_string()
    }
}

impl ScalarKind for Duration {
    type Value = Duration;
    type Slot = Sourced<Duration>;
    fn kind() -> String {
        "duration".into()
    }
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<Duration, ConfigError> {
        let s = file.string(value, full)?;
        duration::parse(s).ok_or_else(|| {
            file.at(
                value,
                format!("bad duration {s:?} for {full}"),
                "write a whole number and a unit, e.g. \"1500ms\", \"2s\", \"10m\" or \"24h\""
                    .into(),
            )
        })
    }
    fn written(value: &Duration) -> String {
        format!("\"{}\"", duration::format(*value))
    }
    fn plain(value: &Duration) -> String {
        duration::format(*value)
    }
}

/// An enum written as one of a few words.
pub trait Choice: Copy + std::fmt::Debug + Eq + 'static {
    /// Every word with its value, in the order errors list them.
    const WORDS: &'static [(&'static str, Self)];

    /// The word for this value.
    fn word(self) -> &'static str {
        Self::WORDS
            .iter()
            .find(|(_, v)| *v == self)
            .map_or("", |(w, _)| w)
    }
}

impl<C: Choice> ScalarKind for C {
    type Value = C;
    type Slot = Sourced<C>;
    fn kind() -> String {
        let words: Vec<String> = C::WORDS.iter().map(|(w, _)| format!("\"{w}\"")).collect();
        format!("one of {}", words.join(", "))
    }
    fn parse(file: &File<'_>, value: &Spanned<DeValue<'_>>, full: &str) -> Result<C, ConfigError> {
        let words: Vec<&str> = C::WORDS.iter().map(|(w, _)| *w).collect();
        let word = file.word(value, full, &words)?;
        Ok(C::WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map_or(C::WORDS[0].1, |(_, v)| *v))
    }
    fn written(value: &C) -> String {
        format!("\"{}\"", value.word())
    }
    fn plain(value: &C) -> String {
        value.word().into()
    }
}

/// A whole number from 0 to `MAX`.
#[derive(Debug)]
pub struct Count<const MAX: u32>;

impl<const MAX: u32> ScalarKind for Count<MAX> {
    type Value = u32;
    type Slot = Sourced<u32>;
    fn kind() -> String {
        format!("whole number, 0 to {MAX}")
    }
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<u32, ConfigError> {
        let DeValue::Integer(i) = value.get_ref() else {
            return Err(file.at(
                value,
                format!(
                    "{full} must be a whole number, not {}",
                    type_name(value.get_ref())
                ),
                format!(
                    "write {} = N with N from 0 to {MAX} (no quotes)",
                    leaf(full)
                ),
            ));
        };
        i64::from_str_radix(i.as_str(), i.radix())
            .ok()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= MAX)
            .ok_or_else(|| {
                file.at(
                    value,
                    format!("{full} = {i} is out of range"),
                    format!("use a whole number from 0 to {MAX}"),
                )
            })
    }
    fn written(value: &u32) -> String {
        value.to_string()
    }
}

/// A checksum database name or verifier key; never `off`.
#[derive(Debug)]
pub struct SumdbName;

impl ScalarKind for SumdbName {
    type Value = String;
    type Slot = Sourced<String>;
    fn kind() -> String {
        "checksum database name or key".into()
    }
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<String, ConfigError> {
        let s = file.string(value, full)?;
        if s == "off" {
            return Err(file.at(
                value,
                format!(
                    "{full} = \"off\" would turn checksum verification off, which goshim never does"
                ),
                "remove it; to skip the checksum database for private modules list them in [modules] no_sumdb".into(),
            ));
        }
        if s.trim().is_empty() {
            return Err(file.at(
                value,
                format!("{full} is empty"),
                "write a checksum database name such as \"sum.golang.org\"".into(),
            ));
        }
        Ok(s.to_string())
    }
    fn written(value: &String) -> String {
        format!("{value:?}")
    }
    fn plain(value: &String) -> String {
        value.clone()
    }
}

/// `module@version`.
#[derive(Debug)]
pub struct ModuleVersion;

impl ScalarKind for ModuleVersion {
    type Value = String;
    type Slot = Sourced<String>;
    fn kind() -> String {
        "module@version".into()
    }
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<String, ConfigError> {
        let s = file.string(value, full)?;
        let ok = s.split_once('@').is_some_and(|(m, ver)| {
            !m.is_empty() && !ver.is_empty() && !s.contains(char::is_whitespace)
        });
        if !ok {
            return Err(file.at(
                value,
                format!("{full} {s:?} is not module@version"),
                "write a module every public proxy has, e.g. probe = \"golang.org/x/text@v0.3.0\""
                    .into(),
            ));
        }
        Ok(s.to_string())
    }
    fn written(value: &String) -> String {
        format!("{value:?}")
    }
    fn plain(value: &String) -> String {
        value.clone()
    }
}

/// The real go: an absolute path, or a command name looked up on PATH; unset by default.
#[derive(Debug)]
pub struct GoCommand;

impl ScalarKind for GoCommand {
    type Value = PathBuf;
    type Slot = Option<Sourced<PathBuf>>;
    fn kind() -> String {
        "absolute path or command name".into()
    }
    fn parse(
        file: &File<'_>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
    ) -> Result<PathBuf, ConfigError> {
        let s = file.string(value, full)?;
        let path = Path::new(s);
        if s.is_empty() || (!path.is_absolute() && path.components().count() > 1) {
            return Err(file.at(
                value,
                format!("{full} = {s:?} is neither an absolute path nor a command name"),
                "write the real go's absolute path, e.g. go = \"/usr/local/go/bin/go\", or a name found on PATH such as \"go1.22.4\"".into(),
            ));
        }
        Ok(PathBuf::from(s))
    }
    /// As the path reads, unquoted (how the ignored `[shim] go` of a `.gomodrc` is reported).
    fn written(value: &PathBuf) -> String {
        value.display().to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::parse::test_support::{HINT, parse};

    #[test]
    fn error_bad_duration() {
        assert_eq!(
            parse("[health]\ntimeout = \"2 seconds\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: bad duration \"2 seconds\" for health.timeout; write a whole number and a unit, e.g. \"1500ms\", \"2s\", \"10m\" or \"24h\" {HINT}"
            )
        );
    }

    #[test]
    fn error_wrong_types_and_values() {
        assert_eq!(
            parse("[proxy]\ndirect = \"yes\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:10: proxy.direct must be true or false, not a string; write direct = true or direct = false (no quotes) {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\noffline = \"never\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: proxy.offline = \"never\" is not a known value; use one of \"cache\", \"off\", \"direct\" {HINT}"
            )
        );
        assert_eq!(
            parse("proxy = 3\n").unwrap_err(),
            format!(
                "/p/.gomodrc:1:9: proxy must be a table, not an integer; write it as a [proxy] section {HINT}"
            )
        );
        assert_eq!(
            parse("[proxy]\ncandidates = \"https://goproxy.cn\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:14: proxy.candidates must be an array of strings, not a string; write candidates = [\"...\", \"...\"] {HINT}"
            )
        );
        assert_eq!(
            parse("[sumdb]\nname = \"off\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:8: sumdb.name = \"off\" would turn checksum verification off, which goshim never does; remove it; to skip the checksum database for private modules list them in [modules] no_sumdb {HINT}"
            )
        );
        assert_eq!(
            parse("[health]\nprobe = \"golang.org/x/text\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:9: health.probe \"golang.org/x/text\" is not module@version; write a module every public proxy has, e.g. probe = \"golang.org/x/text@v0.3.0\" {HINT}"
            )
        );
    }

    #[test]
    fn error_relative_shim_go() {
        assert_eq!(
            parse("[shim]\ngo = \"bin/go\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:6: shim.go = \"bin/go\" is neither an absolute path nor a command name; write the real go's absolute path, e.g. go = \"/usr/local/go/bin/go\", or a name found on PATH such as \"go1.22.4\" {HINT}"
            )
        );
        assert!(parse("[shim]\ngo = \"go1.22.4\"\n").is_ok());
    }

    #[test]
    fn error_router_retries() {
        assert_eq!(
            parse("[router]\nretries = \"3\"\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: router.retries must be a whole number, not a string; write retries = N with N from 0 to 10 (no quotes) {HINT}"
            )
        );
        assert_eq!(
            parse("[router]\nretries = 11\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: router.retries = 11 is out of range; use a whole number from 0 to 10 {HINT}"
            )
        );
        assert_eq!(
            parse("[router]\nretries = -1\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: router.retries = -1 is out of range; use a whole number from 0 to 10 {HINT}"
            )
        );
        assert_eq!(
            parse("[router]\nretries = 99999999999999999999\n").unwrap_err(),
            format!(
                "/p/.gomodrc:2:11: router.retries = 99999999999999999999 is out of range; use a whole number from 0 to 10 {HINT}"
            )
        );
    }
}

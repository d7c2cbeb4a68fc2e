//! The machinery behind the key table in [`super::schema`]: what every consumer knows about a key
//! ([`Key`]), who may set it ([`Gate`]), what kind of value it holds ([`Kind`]), and the
//! `config_keys!` macro that turns the table into code.
//!
//! From one table the macro generates:
//!
//! - the typed configuration: one struct per table (`ProxyConfig`, …) with one field per key, and
//!   [`Config`] holding them, so the decision reads `config.proxy.direct.value`;
//! - `Config::default()` from the entries' defaults;
//! - the per-file [`super::schema::Layer`] (what one file sets, `None` or empty when it does not),
//!   with `Layer::set` (one TOML key → its kind's parser) and `Layer::apply` (every key, in table
//!   order, through its trust gate into the merged configuration);
//! - [`super::schema::KEYS`], the metadata every other consumer reads: "did you mean", the
//!   README's reference, `goshim explain`'s configuration entries;
//! - [`super::schema::SECTIONS`], the tables in order.
//!
//! What differs between keys lives in ordinary code: a [`Kind`] per kind of value
//! ([`super::kinds`]) and a [`Gate`] per key.

use toml::Spanned;
use toml::de::{DeString, DeValue};

use super::merge::Merging;
use super::parse::File;
use super::schema::Config;
use super::{ConfigError, Origin};

/// Who may set a key: the trust gate an untrusted `.gomodrc` passes through. System and user
/// files, trusted `.gomodrc` files and `GOSHIM_TRUST_ALL=1` pass every gate except
/// [`Gate::UserFilesOnly`].
#[derive(Debug)]
pub enum Gate<T: 'static> {
    /// Applies from any file: it cannot send code elsewhere or weaken verification.
    Always,
    /// Ignored from an untrusted `.gomodrc`.
    Trusted,
    /// An untrusted `.gomodrc` may only narrow: choose one of these values, or the value the
    /// trusted layers already have. For a list: only entries the trusted layers list (so it may
    /// reorder or drop them, never add).
    Narrowing(&'static [T]),
    /// Only read from the system and user files, never from a `.gomodrc` (`shim.go`).
    UserFilesOnly,
}

/// One key as every consumer sees it, generated from its table entry.
#[derive(Debug)]
pub struct Key {
    /// `table.key`, e.g. `proxy.candidates`.
    pub name: &'static str,
    /// The TOML table, e.g. `proxy`.
    pub table: &'static str,
    /// The key inside the table, e.g. `candidates`.
    pub leaf: &'static str,
    /// The entry's `///` lines, joined: what the key means.
    pub doc: &'static str,
    /// A list: `extend_<leaf>` appends to it.
    pub list: bool,
    /// How the README names the kind of value.
    pub kind: fn() -> String,
    /// The default as it would be written in TOML (`unset` when there is none).
    pub default: fn() -> String,
    /// What an untrusted `.gomodrc` may do with it (the README's trust column).
    pub trust: fn() -> String,
    /// The go variables `goshim explain` shows this key under, each with its position among the
    /// keys shown there (equal positions keep table order).
    pub explains: &'static [(&'static str, u8)],
    /// The value in a merged configuration, as `goshim explain` shows it: one entry (a list:
    /// one per item), each with its origin.
    pub shown: fn(&Config) -> Vec<(String, &Origin)>,
}

impl Key {
    /// The meaning, without the doc comment's leading space.
    pub fn doc(&self) -> &'static str {
        self.doc.trim()
    }

    /// The names a file may write: `leaf`, and `extend_leaf` for a list.
    pub fn spellings(&self) -> Vec<String> {
        let mut names = vec![self.leaf.to_string()];
        if self.list {
            names.push(format!("extend_{}", self.leaf));
        }
        names
    }
}

/// A kind of value: how it is stored merged and per file, read from TOML, merged through its
/// gate and shown. Implemented for every [`super::kinds::ScalarKind`] and for
/// [`super::kinds::List`]; the table names a kind per key.
pub trait Kind: 'static {
    /// What the merged configuration holds (`config.<table>.<key>`).
    type Merged: Clone + std::fmt::Debug + Eq;
    /// What one file's layer holds (empty: the file does not set it).
    type Layered: Clone + std::fmt::Debug + Default + Eq;
    /// One value a [`Gate::Narrowing`] names (a list: one entry).
    type Item: 'static;
    /// The default as the table writes it.
    type Default;
    /// A list (with an `extend_` form).
    const LIST: bool;

    /// How the README names the kind.
    fn kind() -> String;

    /// The merged value a default stands for.
    fn merged(default: Self::Default) -> Self::Merged;

    /// Reads `value` (written as `full`, e.g. `proxy.extend_private`; `extend` when that is the
    /// `extend_` form) into the file's layer.
    fn parse(
        file: &File<'_>,
        key: &Spanned<DeString<'_>>,
        value: &Spanned<DeValue<'_>>,
        full: &str,
        extend: bool,
        slot: &mut Self::Layered,
    ) -> Result<(), ConfigError>;

    /// Merges what one file set into the configuration through `gate`, or records it as ignored.
    fn apply(
        m: &mut Merging<'_>,
        key: &'static str,
        new: Self::Layered,
        gate: &Gate<Self::Item>,
        slot: fn(&mut Config) -> &mut Self::Merged,
        trusted: fn(&Config) -> &Self::Merged,
    );

    /// The value as `goshim explain` shows it, with its origin (a list: one per item).
    fn shown(merged: &Self::Merged) -> Vec<(String, &Origin)>;

    /// The value as it would be written in TOML, for the README (`unset` when there is none).
    fn written(merged: &Self::Merged) -> String;

    /// What `gate` lets an untrusted `.gomodrc` do, for the README.
    fn trust_text(gate: &Gate<Self::Item>) -> String;
}

/// Generates the typed configuration, the per-file layer, parsing and merging, and the key
/// metadata from the key table (see the module documentation and [`super::schema`]).
macro_rules! config_keys {
    (@explains) => { &[] };
    (@explains $explains:expr) => { $explains };
    (
        $(
            $(#[doc = $section_doc:literal])*
            [$table:ident] $Section:ident, $SectionLayer:ident {
                $(
                    $(#[doc = $doc:literal])+
                    $leaf:ident: $K:ty = $default:expr,
                        trust $gate:ident $(($($gate_arg:tt)*))?
                        $(, explains $explains:expr)?;
                )*
            }
        )*
        variables {
            $(
                $(#[doc = $var_doc:literal])*
                $var:ident: $Var:ty = $var_default:expr,
            )*
        }
    ) => {
        $(
            $(#[doc = $section_doc])*
            #[derive(Debug, Clone, PartialEq, Eq)]
            pub struct $Section {
                $(
                    $(#[doc = $doc])+
                    pub $leaf: <$K as $crate::config::key::Kind>::Merged,
                )*
            }

            #[doc = concat!("What one file sets in `[", stringify!($table), "]`.")]
            #[derive(Debug, Clone, Default, PartialEq, Eq)]
            pub struct $SectionLayer {
                $(
                    $(#[doc = $doc])+
                    pub $leaf: <$K as $crate::config::key::Kind>::Layered,
                )*
            }
        )*

        /// The merged configuration: one field per table of the key table, then the settings
        /// only a `GOSHIM_*` variable makes.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct Config {
            $(
                #[doc = concat!("`[", stringify!($table), "]`.")]
                pub $table: $Section,
            )*
            $(
                $(#[doc = $var_doc])*
                pub $var: $Var,
            )*
        }

        impl Default for Config {
            fn default() -> Self {
                Config {
                    $(
                        $table: $Section {
                            $(
                                $leaf: <$K as $crate::config::key::Kind>::merged($default),
                            )*
                        },
                    )*
                    $( $var: $var_default, )*
                }
            }
        }

        /// What one configuration file sets; empty where it sets nothing.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Layer {
            $(
                #[doc = concat!("`[", stringify!($table), "]`.")]
                pub $table: $SectionLayer,
            )*
        }

        impl Layer {
            /// Reads `table.key = value` into this layer; false for a key the table lacks.
            pub(super) fn set(
                &mut self,
                file: &$crate::config::parse::File<'_>,
                table: &str,
                key: &toml::Spanned<toml::de::DeString<'_>>,
                value: &toml::Spanned<toml::de::DeValue<'_>>,
            ) -> Result<bool, $crate::config::ConfigError> {
                let leaf: &str = key.get_ref().as_ref();
                $($(
                    if table == stringify!($table) {
                        let extend = <$K as $crate::config::key::Kind>::LIST
                            && leaf == concat!("extend_", stringify!($leaf));
                        if extend || leaf == stringify!($leaf) {
                            <$K as $crate::config::key::Kind>::parse(
                                file,
                                key,
                                value,
                                &format!("{table}.{leaf}"),
                                extend,
                                &mut self.$table.$leaf,
                            )?;
                            return Ok(true);
                        }
                    }
                )*)*
                Ok(false)
            }

            /// Merges this layer into `m`, key by key in table order, each through its gate.
            pub(super) fn apply(self, m: &mut $crate::config::merge::Merging<'_>) {
                $($(
                    <$K as $crate::config::key::Kind>::apply(
                        m,
                        concat!(stringify!($table), ".", stringify!($leaf)),
                        self.$table.$leaf,
                        &$crate::config::key::Gate::$gate $(($($gate_arg)*))?,
                        |c| &mut c.$table.$leaf,
                        |c| &c.$table.$leaf,
                    );
                )*)*
            }
        }

        /// The tables, in order.
        pub const SECTIONS: &[&str] = &[$(stringify!($table)),*];

        /// Every key, in table order.
        pub static KEYS: &[$crate::config::key::Key] = &[
            $($(
                $crate::config::key::Key {
                    name: concat!(stringify!($table), ".", stringify!($leaf)),
                    table: stringify!($table),
                    leaf: stringify!($leaf),
                    doc: concat!($($doc),+),
                    list: <$K as $crate::config::key::Kind>::LIST,
                    kind: <$K as $crate::config::key::Kind>::kind,
                    default: || {
                        <$K as $crate::config::key::Kind>::written(
                            &<$K as $crate::config::key::Kind>::merged($default),
                        )
                    },
                    trust: || {
                        <$K as $crate::config::key::Kind>::trust_text(
                            &$crate::config::key::Gate::$gate $(($($gate_arg)*))?,
                        )
                    },
                    explains: $crate::config::key::config_keys!(@explains $($explains)?),
                    shown: |c| <$K as $crate::config::key::Kind>::shown(&c.$table.$leaf),
                },
            )*)*
        ];
    };
}

pub(crate) use config_keys;

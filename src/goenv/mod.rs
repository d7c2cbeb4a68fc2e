//! Go's own rules, exactly as cmd/go (Go 1.21–1.27) applies them: module path patterns, GOPROXY
//! lists, GOSUMDB, the effective go environment, go.mod/go.work and the project shape, toolchain
//! selection and command classes.
//!
//! Nothing here decides policy: every function answers "what would the real go do". Each
//! module names the Go source it ports; the differential tests in `tests/it/goenv_*.rs` run the
//! real go on generated settings and compare.
//!
//! The hot path reads at most the user env file, `$GOROOT/go.env`, go.mod and go.work (plus
//! the workspace modules' go.mod files) and never runs `go env`:
//!
//! ```no_run
//! use std::path::Path;
//! use goshim::goenv::{self, GoEnv, project::ProjectContext};
//! use goshim::process::Process;
//!
//! let process = Process::current();
//! let cwd = process.cwd().unwrap();
//! let real_go = Path::new("/usr/local/go/bin/go");
//! let argv: Vec<String> = vec!["build".into(), "./...".into()];
//! let env = GoEnv::load(process.go_view(), Some(real_go), cwd);
//! let ctx = ProjectContext { env: &env, go_version: "1.27.3", temp_dir: process.temp_dir() };
//! let project = goenv::project::inspect(cwd, &argv, &ctx).unwrap();
//! let proxies = goenv::parse_proxy_list(env.get("GOPROXY"), !env.get("GONOPROXY").is_empty());
//! let private = goenv::match_prefix_patterns(env.get("GOPRIVATE"), "corp.example/x");
//! let online = goenv::command::may_reach_network(&project, &env, "1.27.3");
//! # let _ = (proxies, private, online);
//! ```
//!
//! - [`pattern`]: `MatchPrefixPatterns` and `path.Match`.
//! - [`module`]: module paths and versions in proxy URLs (`UnescapePath`, `CheckPath`).
//! - [`proxy`]: GOPROXY lists (entries, fallback per separator, go's errors, canonical form).
//! - [`sumdb`]: GOSUMDB as a typed value.
//! - [`env`](mod@env): the effective environment with the origin of every value.
//! - [`gomod`]: go.mod/go.work parser with `file:line:col` errors; [`semver`], [`gover`].
//! - [`project`]: `-C`, GO111MODULE, go.mod/go.work discovery, `-mod`/vendor mode.
//! - [`command`]: command classes, toolchain selection, network reach.
//!
//! Checking a download before serving it, as go will check it (each module has its example):
//! - [`dirhash`]: go's `h1:` hash of a module zip or a go.mod file; [`zipstream`]: the same
//!   hash while the zip's bytes arrive.
//! - [`gosum`]: the go.sum files go reads and what they say about a hash.
//! - [`sumdb`]: verifier keys and checksum-database lookup answers, trusted only when their
//!   tree note is signed ([`note`]) and the record is proved in that tree ([`tlog`]).
//!
//! ```no_run
//! use std::path::Path;
//! use goshim::goenv::{dirhash, gosum::{GoSum, SumCheck, SumFiles, SumKind}};
//!
//! let zip = std::fs::File::open("/tmp/spool/example.com-m-v1.0.0.zip").unwrap();
//! let h1 = dirhash::hash_zip(zip, "example.com/m", "v1.0.0").unwrap();
//! let sums = GoSum::read(&SumFiles::module(Path::new("/src/app/go.mod"))).unwrap();
//! let verdict = sums.check("example.com/m", "v1.0.0", SumKind::Zip, &h1);
//! // SumCheck::NotListed: ask the checksum database (goenv::sumdb::verify_lookup).
//! # let _ = matches!(verdict, SumCheck::Listed);
//! ```

pub(crate) mod base64;
pub mod command;
pub mod dirhash;
pub mod env;
pub mod gomod;
pub mod gosum;
mod gourl;
pub mod gover;
pub mod module;
pub mod note;
pub mod pattern;
pub mod project;
pub mod proxy;
pub mod route;
pub mod semver;
pub mod sumdb;
#[cfg(test)]
#[allow(
    dead_code,
    reason = "one generator for both test crates; each uses part of it"
)]
#[path = "../../tests/support/rng.rs"]
mod testgen;
pub mod tlog;
pub mod zipstream;

pub use env::{EnvSources, EnvValue, GoEnv, GoOrigin};
pub use pattern::{BadPattern, malformed_globs, match_prefix_patterns, path_match};
pub use proxy::{
    Fallback, ProxyEntry, ProxyList, ProxyListError, ProxyScheme, ProxySpec, escape_module_path,
    parse_proxy_list, same_proxy, validate_proxy_url,
};
pub use sumdb::{SumDb, SumDbError, SumDbSpec, parse_gosumdb};

//! GOPRIVATE, GONOPROXY and GONOSUMDB: the user's patterns plus the configured private
//! modules, written together (an empty GONOPROXY or GONOSUMDB means "use GOPRIVATE"), so that
//! private paths never reach a public proxy or the public checksum database. Follows go's
//! pattern lists (`goenv::pattern`, `MatchPrefixPatterns`) and their GOPRIVATE fallback.

use std::collections::BTreeSet;

use super::{Decision, Inputs, user_set};
use crate::config::Config;
use crate::config::schema::SourcedList;
use crate::goenv::env::{GoEnv, GoOrigin};

/// Comma-separated patterns, split as go splits them, without empty elements.
pub(super) fn split_patterns(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').filter(|p| !p.is_empty())
}

/// The union of pattern lists, in first-seen order, duplicates removed.
pub(super) fn union<'a>(lists: impl IntoIterator<Item = &'a str>) -> String {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for list in lists {
        for p in split_patterns(list) {
            if seen.insert(p) {
                out.push(p);
            }
        }
    }
    out.join(",")
}

/// A configured pattern list, comma-joined as go's variables are.
pub(super) fn config_list(list: &SourcedList) -> String {
    list.value
        .iter()
        .map(|s| s.value.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Every pattern that makes a path private — GOPRIVATE, GONOPROXY and the configured private
/// and no-proxy modules — as go's comma list: what no probe and no public upstream may see.
pub(super) fn private_patterns(env: &GoEnv, config: &Config) -> String {
    union([
        env.get("GOPRIVATE"),
        env.get("GONOPROXY"),
        config_list(&config.modules.private).as_str(),
        config_list(&config.modules.no_proxy).as_str(),
    ])
}

/// Decides GOPRIVATE/GONOPROXY/GONOSUMDB; returns the GONOPROXY go will apply. `private` are the
/// usable private proxies.
pub(super) fn decide_patterns(inp: &Inputs<'_>, private: &[String], d: &mut Decision) -> String {
    let env = inp.go_env;
    let modules = &inp.config.modules;
    let cfg_private = config_list(&modules.private);
    let cfg_noproxy = config_list(&modules.no_proxy);
    let cfg_nosumdb = config_list(&modules.no_sumdb);
    if cfg_private.is_empty() && cfg_noproxy.is_empty() && cfg_nosumdb.is_empty() {
        for name in ["GOPRIVATE", "GONOPROXY", "GONOSUMDB"] {
            d.keep(
                name,
                env.get(name),
                "no private modules are configured; go's own value is used".into(),
            );
        }
        return env.get("GONOPROXY").to_string();
    }
    let has_private_proxy = !private.is_empty();
    let user_private = env.get("GOPRIVATE");
    // A user's explicit GONOPROXY/GONOSUMDB (not derived from GOPRIVATE) is their base.
    let base = |name: &str| match env.value(name) {
        Some(v) if v.origin != GoOrigin::Derived => v.value.clone(),
        _ => user_private.to_string(),
    };
    let private = union([user_private, cfg_private.as_str()]);
    let noproxy_add = if !cfg_noproxy.is_empty() {
        cfg_noproxy.clone()
    } else if has_private_proxy {
        String::new()
    } else {
        cfg_private.clone()
    };
    let mut noproxy = union([base("GONOPROXY").as_str(), noproxy_add.as_str()]);
    if noproxy.is_empty() && !private.is_empty() {
        // Empty would mean "use GOPRIVATE"; a pattern that matches nothing says "none".
        noproxy = "none".into();
    }
    let nosumdb_add = if cfg_nosumdb.is_empty() {
        cfg_private.clone()
    } else {
        cfg_nosumdb.clone()
    };
    let nosumdb = union([base("GONOSUMDB").as_str(), nosumdb_add.as_str()]);

    let origin = |list: &SourcedList| {
        list.value
            .first()
            .map_or_else(|| list.origin.to_string(), |s| s.origin.to_string())
    };
    let write = |d: &mut Decision, name: &'static str, value: String, why: String| {
        if user_set(inp, name) {
            d.keep(
                name,
                env.get(name),
                format!("set in your environment; kept as is ({why} was not applied)"),
            );
        } else {
            d.set(
                name,
                value,
                vec![
                    why,
                    "goshim writes GOPRIVATE, GONOPROXY and GONOSUMDB together, because an empty GONOPROXY or GONOSUMDB means \"use GOPRIVATE\"".into(),
                ],
            );
        }
    };
    write(
        d,
        "GOPRIVATE",
        private,
        format!(
            "your patterns plus the configured private modules ({})",
            origin(&modules.private)
        ),
    );
    let noproxy_why = if !cfg_noproxy.is_empty() {
        format!(
            "narrowed by modules.no_proxy ({})",
            origin(&modules.no_proxy)
        )
    } else if has_private_proxy {
        "private modules are fetched through the configured private proxy, not directly".into()
    } else {
        "private modules are fetched directly from version control, never through a proxy".into()
    };
    write(d, "GONOPROXY", noproxy.clone(), noproxy_why);
    let nosumdb_why = if cfg_nosumdb.is_empty() {
        "private modules are never looked up in the public checksum database".into()
    } else {
        format!(
            "narrowed by modules.no_sumdb ({})",
            origin(&modules.no_sumdb)
        )
    };
    write(d, "GONOSUMDB", nosumdb.clone(), nosumdb_why);
    // What go will apply: the user's kept value where it wins.
    if user_set(inp, "GONOPROXY") {
        env.get("GONOPROXY").to_string()
    } else {
        noproxy
    }
}

#[cfg(test)]
mod tests {
    use super::super::testcase::*;

    #[rustfmt::skip]
    #[test]
    fn private_patterns_table() {
        const CORP: &str = "git.corp.example";
        Case::new("nothing configured: nothing written").user_env("GOPRIVATE", "a.example").patterns([None, None, None]).check();
        Case::new("configured private: all three written").private(&[CORP, "*.git.corp.example"]).patterns([Some("git.corp.example,*.git.corp.example"); 3]).check();
        Case::new("union with the user's go env -w GOPRIVATE, duplicates removed").env_file("GOPRIVATE", "b.example,git.corp.example").private(&[CORP]).patterns([Some("b.example,git.corp.example"); 3]).check();
        Case::new("user's explicit GONOPROXY is the base, not GOPRIVATE").env_file("GOPRIVATE", "b.example").env_file("GONOPROXY", "c.example").private(&[CORP]).patterns([Some("b.example,git.corp.example"), Some("c.example,git.corp.example"), Some("b.example,git.corp.example")]).check();
        Case::new("a private proxy serves private modules: GONOPROXY says none").private(&[CORP]).private_proxy(ATHENS).verdict(ATHENS, reachable()).patterns([Some(CORP), Some("none"), Some(CORP)]).check();
        Case::new("narrowing lists").private(&[CORP, "other.corp.example"]).no_proxy(&["other.corp.example"]).no_sumdb(&[CORP]).patterns([Some("git.corp.example,other.corp.example"), Some("other.corp.example"), Some(CORP)]).check();
        Case::new("an exported GOPRIVATE is kept; the other two still written").user_env("GOPRIVATE", "mine.example").private(&[CORP]).patterns([None, Some("mine.example,git.corp.example"), Some("mine.example,git.corp.example")]).check();
    }
}

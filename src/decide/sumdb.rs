//! GOSUMDB: the default database stays unless go cannot reach it. go asks each GOPROXY entry
//! for `/sumdb/sum.golang.org/supported` and falls back to the database itself
//! (`goenv::route::sumdb_walk`, `modfetch/sumdb.go: initBase`); when no proxy serves it and
//! sum.golang.org does not answer, the China mirror (same key, verified the same way) is used.
//! Never `off`. Follows that walk with the proxies' verdicts and the databases' own.

use super::proxy::Chain;
use super::{Decision, Inputs, origin_text, user_set, verdict_of};
use crate::goenv::env::GoOrigin;
use crate::goenv::route::{SumdbEnd, Supported, sumdb_walk};
use crate::goenv::sumdb::{SumDb, parse_gosumdb};
use crate::health::{Status, SumdbSupport, Verdict};

/// The health verdict for the checksum database `name`, if it was probed.
fn sumdb_verdict<'v>(inp: &Inputs<'v>, name: &str) -> Option<&'v Verdict> {
    inp.verdicts?
        .sumdbs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

/// Decides GOSUMDB for the GOPROXY go will use (`chain`).
pub(super) fn decide_sumdb(inp: &Inputs<'_>, chain: &Chain, d: &mut Decision) {
    let env = inp.go_env;
    let current = env.value("GOSUMDB");
    let current_value = env.get("GOSUMDB");
    if user_set(inp, "GOSUMDB") {
        d.keep(
            "GOSUMDB",
            current_value,
            "set in your environment; explicit settings win".into(),
        );
        return;
    }
    let configured = &inp.config.sumdb.name;
    if configured.origin != crate::config::Origin::Default && configured.value != current_value {
        d.set(
            "GOSUMDB",
            configured.value.clone(),
            vec![format!("sumdb.name ({})", configured.origin)],
        );
        return;
    }
    if let Some(v) = current
        && matches!(v.origin, GoOrigin::EnvFile(_))
    {
        d.keep(
            "GOSUMDB",
            current_value,
            format!("your choice in {}", origin_text(&v.origin)),
        );
        return;
    }
    if current_value != "sum.golang.org" {
        d.keep(
            "GOSUMDB",
            current_value,
            "not the default database; left as go resolves it".into(),
        );
        return;
    }
    if chain.offline {
        d.keep(
            "GOSUMDB",
            current_value,
            "offline: go only needs the database for modules missing from go.sum".into(),
        );
        return;
    }
    if inp.verdicts.is_none() {
        d.keep(
            "GOSUMDB",
            current_value,
            "nothing was probed; left as go resolves it".into(),
        );
        return;
    }
    // What each proxy answers for `supported`, from its health verdict.
    let answer = |url: &str| match verdict_of(inp.verdicts, url).map(|v| v.sumdb) {
        Some(SumdbSupport::Supported) => Supported::Serves,
        Some(SumdbSupport::NotSupported) => Supported::NotFound,
        Some(SumdbSupport::Failed) => Supported::Error,
        Some(SumdbSupport::Unknown) | None => Supported::Unknown,
    };
    let end = match (&chain.list, parse_gosumdb(current_value)) {
        (Some(list), Ok(SumDb::Db(spec))) => sumdb_walk(list, &spec, answer).end,
        _ => SumdbEnd::Direct,
    };
    let blocked = match end {
        SumdbEnd::Proxy(url) => {
            d.keep(
                "GOSUMDB",
                current_value,
                format!(
                    "{} serves /sumdb/sum.golang.org/supported: checksum lookups go through it",
                    crate::http::redact(&url)
                ),
            );
            return;
        }
        SumdbEnd::Fails(url) => Some(url),
        SumdbEnd::Direct => None,
    };
    let ok = |name| sumdb_verdict(inp, name).is_some_and(|v| v.status == Status::Healthy);
    if blocked.is_none() && ok("sum.golang.org") {
        d.keep(
            "GOSUMDB",
            current_value,
            "sum.golang.org answers directly".into(),
        );
    } else if ok("sum.golang.google.cn") {
        d.set(
            "GOSUMDB",
            "sum.golang.google.cn".into(),
            vec![match &blocked {
                Some(url) => format!(
                    "{} fails /sumdb/sum.golang.org/supported and is followed by ',', so lookups through the proxies fail; sum.golang.google.cn answers directly (same key, verified the same way)",
                    crate::http::redact(url)
                ),
                None => "no proxy serves sum.golang.org and it is unreachable directly; sum.golang.google.cn answers (same key, verified the same way)".into(),
            }],
        );
    } else {
        d.keep(
            "GOSUMDB",
            current_value,
            "no route to a checksum database answered; left as is (goshim never turns it off)"
                .into(),
        );
        d.warnings.push(
            "no checksum database is reachable: modules missing from go.sum will fail with \"verifying module\"; see README troubleshooting".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testcase::*;
    use crate::health::{SumdbSupport, Verdict};

    #[rustfmt::skip]
    #[test]
    fn sumdb_table() {
        use SumdbSupport::{NotSupported, Supported};
        const DB: &str = "checksum database";
        let (org, cn) = ("sum.golang.org", "sum.golang.google.cn");
        Case::new("first proxy serves the database").proxies(&[(PG, serves(Supported))]).sumdbs(&[(org, down()), (cn, down())]).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("sum.golang.org answers directly").proxies(&[(PG, serves(NotSupported))]).sumdbs(&[(org, healthy(10))]).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("only the China mirror answers").proxies(&[(CN, serves(NotSupported))]).sumdbs(&[(org, down()), (cn, healthy(10))]).sets("GOSUMDB", cn).no_warning(DB).check();
        Case::new("nothing answers: kept, never off, warned").proxies(&[(CN, serves(NotSupported))]).sumdbs(&[(org, down()), (cn, down())]).keeps("GOSUMDB").warns(DB).check();
        Case::new("user's GOSUMDB wins").proxies(&[(CN, serves(NotSupported))]).sumdbs(&[(cn, healthy(10))]).user_env("GOSUMDB", org).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("trusted config names a database").proxies(&[(PG, serves(Supported))]).sumdb_name(cn).sets("GOSUMDB", cn).no_warning(DB).check();
    }

    #[rustfmt::skip]
    #[test]
    fn sumdb_follows_the_chain_as_go_does() {
        use SumdbSupport::{Failed, NotSupported, Supported};
        const DB: &str = "checksum database";
        let sumdbs = |cn: Verdict| [("sum.golang.org", down()), ("sum.golang.google.cn", cn)];
        let unprobed = Verdict::unknown("example.com/probe@v1.0.0");
        Case::new("the second proxy serves it after the first's 404").proxies(&[(PG, serves(NotSupported)), (CN, serves(Supported))]).sumdbs(&sumdbs(down())).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("an error from a proxy followed by '|' moves on").proxies(&[(PG, serves(Failed)), (CN, serves(Supported))]).sumdbs(&sumdbs(down())).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("an unprobed private proxy first, then a public one that serves it").proxies(&[(PG, serves(Supported))]).private_proxy(ATHENS).verdict(ATHENS, unprobed).sumdbs(&sumdbs(down())).keeps("GOSUMDB").no_warning(DB).check();
        Case::new("a private proxy failing 'supported' before ',': go would fail; the China mirror bypasses the proxies").proxies(&[(PG, serves(Supported))]).private_proxy(ATHENS).verdict(ATHENS, serves(Failed)).sumdbs(&sumdbs(healthy(5))).sets("GOSUMDB", "sum.golang.google.cn").no_warning(DB).check();
        Case::new("a private proxy failing 'supported' and nothing else answers").proxies(&[(PG, serves(Supported))]).private_proxy(ATHENS).verdict(ATHENS, serves(Failed)).sumdbs(&sumdbs(down())).keeps("GOSUMDB").warns(DB).check();
    }
}

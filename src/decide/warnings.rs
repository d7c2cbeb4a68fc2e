//! Warnings: the traps in the user's own settings (patterns with spaces, `*.x` without `x`, a
//! variable go does not have, GONOPROXY covering golang.org/toolchain, `-mod=mod` in a
//! workspace, requirements that look private but no pattern covers), and what stops a toolchain
//! switch the project asks for under the decision. Follows go's pattern matching
//! (`goenv::pattern`) and its toolchain rules (`goenv::route::TOOLCHAIN_MODULE`).

use super::patterns::{config_list, split_patterns};
use super::{Decision, Inputs};
use crate::goenv::env::GoOrigin;
use crate::goenv::pattern::match_prefix_patterns;
use crate::goenv::proxy::{ProxyEntry, ProxyScheme, parse_proxy_list};
use crate::goenv::route::TOOLCHAIN_MODULE;

/// What stops a toolchain switch the project asks for, under decision `d`.
pub(super) fn check_toolchain(inp: &Inputs<'_>, noproxy: &str, d: &Decision) -> Vec<String> {
    let mut warnings = Vec::new();
    let Some(version) = &inp.project.toolchain_switch else {
        return warnings;
    };
    if match_prefix_patterns(noproxy, TOOLCHAIN_MODULE) {
        warnings.push(format!(
            "the project needs go {version}, but GONOPROXY ({noproxy}) matches {TOOLCHAIN_MODULE}: go will try to fetch the toolchain directly and fail; narrow the pattern"
        ));
    }
    let proxy = d
        .get("GOPROXY")
        .unwrap_or_else(|| inp.go_env.get("GOPROXY"));
    let usable = match &d.routing {
        // The router fetches the toolchain from its public upstreams.
        Some(routing) => !routing.public.is_empty(),
        None => parse_proxy_list(proxy, false).is_ok_and(|l| {
            l.explicit()
                .any(|s| matches!(s.entry, ProxyEntry::Url { ref scheme, .. } if *scheme != ProxyScheme::File))
        }),
    };
    if !usable {
        warnings.push(format!(
            "the project needs go {version}, but no module proxy is usable (GOPROXY={}); the toolchain download will fail unless go {version} is in the module cache",
            crate::http::redact_text(proxy)
        ));
    }
    let sumdb = d
        .get("GOSUMDB")
        .unwrap_or_else(|| inp.go_env.get("GOSUMDB"));
    if sumdb == "off" {
        warnings.push(format!(
            "the project needs go {version}: toolchain downloads require the checksum database, and GOSUMDB is off"
        ));
    }
    warnings
}

/// Hosts whose modules are public; a required module elsewhere may be private.
const PUBLIC_HOSTS: &[&str] = &[
    "github.com",
    "gitlab.com",
    "bitbucket.org",
    "golang.org",
    "google.golang.org",
    "gopkg.in",
    "go.uber.org",
    "k8s.io",
    "sigs.k8s.io",
    "go.opentelemetry.io",
    "cloud.google.com",
    "honnef.co",
    "go.etcd.io",
    "dario.cat",
    "filippo.io",
    "mvdan.cc",
    "rsc.io",
];

/// Top-level labels that only exist inside private networks.
const PRIVATE_TLDS: &[&str] = &[
    "corp", "internal", "local", "lan", "intranet", "private", "home",
];

/// Warns about the traps in the user's own settings and the project's requirements.
pub(super) fn warn_traps(inp: &Inputs<'_>, d: &mut Decision) {
    let env = inp.go_env;
    for name in ["GOPRIVATE", "GONOPROXY", "GONOSUMDB"] {
        let value = env.get(name);
        for p in split_patterns(value) {
            if p != p.trim() {
                d.warnings.push(format!(
                    "{name} pattern {p:?} has spaces: go splits on ',' only and does not trim, so it matches nothing; remove the spaces"
                ));
            }
            if let Some(parent) = p.strip_prefix("*.")
                && !split_patterns(value).any(|q| q == parent)
            {
                d.warnings.push(format!(
                    "{name} has {p} but not {parent}: '*.' needs a label, so {parent}/… itself is not covered; add {parent}"
                ));
            }
        }
    }
    if env.getenv("GONOSUMCHECK").origin == GoOrigin::Process {
        d.warnings.push(
            "GONOSUMCHECK is set, but go has no such variable; use GONOSUMDB (or GOPRIVATE) for per-module exceptions".into(),
        );
    }
    let noproxy = env.get("GONOPROXY");
    if match_prefix_patterns(noproxy, TOOLCHAIN_MODULE) && inp.project.toolchain_switch.is_none() {
        d.warnings.push(format!(
            "GONOPROXY ({noproxy}) matches {TOOLCHAIN_MODULE}: automatic toolchain downloads would go direct and fail"
        ));
    }
    if inp.project.workspace
        && env
            .get("GOFLAGS")
            .split_whitespace()
            .any(|f| f == "-mod=mod")
    {
        d.warnings.push(
            "GOFLAGS has -mod=mod, which go rejects in workspace mode (go.work); remove it or set GOWORK=off".into(),
        );
    }
    let covered = |path: &str| {
        match_prefix_patterns(env.get("GOPRIVATE"), path)
            || match_prefix_patterns(env.get("GONOPROXY"), path)
            || match_prefix_patterns(&config_list(&inp.config.modules.private), path)
    };
    let private_domains: Vec<String> = split_patterns(&config_list(&inp.config.modules.private))
        .chain(split_patterns(env.get("GOPRIVATE")))
        .map(|p| registrable_domain(p.trim_start_matches("*.").split('/').next().unwrap_or("")))
        .filter(|s| !s.is_empty())
        .collect();
    for req in &inp.project.requires {
        let host = req.split('/').next().unwrap_or("");
        if PUBLIC_HOSTS.contains(&host) || covered(req) {
            continue;
        }
        let tld = host.rsplit('.').next().unwrap_or("");
        if PRIVATE_TLDS.contains(&tld) || private_domains.contains(&registrable_domain(host)) {
            d.warnings.push(format!(
                "{req} looks private (host {host}) but no GOPRIVATE/GONOPROXY pattern or modules.private entry covers it: its path would be sent to public proxies; add {host} to modules.private"
            ));
        }
    }
}

/// The last two labels of a host: `git.corp.example` → `corp.example`.
fn registrable_domain(host: &str) -> String {
    let labels: Vec<&str> = host.split('.').collect();
    labels[labels.len().saturating_sub(2)..].join(".")
}

#[cfg(test)]
mod tests {
    use super::super::testcase::*;

    #[rustfmt::skip]
    #[test]
    fn traps_are_warned_about() {
        Case::new("*. without the parent").user_env("GOPRIVATE", "*.corp.example").warns("has *.corp.example but not corp.example").check();
        Case::new("spaces in a pattern").user_env("GOPRIVATE", "a.example, b.example").warns("\" b.example\" has spaces").check();
        Case::new("a variable go does not have").user_env("GONOSUMCHECK", "1").warns("GONOSUMCHECK").check();
        Case::new("GOPRIVATE=* covers the toolchain").user_env("GOPRIVATE", "*").warns("matches golang.org/toolchain").check();
        Case::new("-mod=mod in a workspace").user_env("GOFLAGS", "-mod=mod").workspace().warns("-mod=mod").check();
        Case::new("requirements that look private").user_env("GOPRIVATE", "git.corp.example").requires(&["github.com/pkg/errors", "git.corp/team/lib", "tools.corp.example/x"]).warns_first("git.corp/team/lib looks private").warns_first("tools.corp.example/x looks private").no_warning("github.com").check();
        Case::new("nothing to warn about").no_warnings().check();
    }

    #[rustfmt::skip]
    #[test]
    fn toolchain_switch_needs_a_proxy_and_no_direct_route() {
        Case::new("GONOPROXY covers the toolchain").toolchain_switch("1.99.0").user_env("GOPRIVATE", "*").warns("needs go 1.99.0, but GONOPROXY (*) matches golang.org/toolchain").check();
        Case::new("no usable proxy").toolchain_switch("1.99.0").verdicts(&[(PG, down())]).warns("no module proxy is usable").check();
        Case::new("nothing stops the switch").toolchain_switch("1.99.0").no_warnings().check();
    }
}

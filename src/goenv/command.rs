//! Which go invocations can reach the network: by command, by vendor mode, and by toolchain
//! switches (`toolchain/select.go`).

use std::cmp::Ordering;

use super::env::GoEnv;
use super::gover;
use super::project::{BuildMod, Invocation, Project};

/// What a go command does with modules, by its command words and arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandClass {
    /// Never fetches modules: `version`, `env`, `help`, `fmt`, `doc`, `bug`, `mod edit|init`,
    /// `work init|use|edit`, `telemetry`, a bare `go`, ...
    Offline,
    /// Loads packages of the main module(s): fetches only missing modules, never in vendor
    /// mode (`build`, `test`, `vet`, `list`, `fix`, `run`/`install` without `@version`, ...).
    Build,
    /// Resolves or downloads modules by design: `get`, `mod download|tidy|graph|why|vendor|
    /// verify`, `work sync|vendor`, `install|run pkg@version`.
    Fetch,
}

/// Classifies an invocation by its command words and arguments alone.
pub fn command_class(inv: &Invocation) -> CommandClass {
    let has_version_arg = || {
        inv.args
            .iter()
            .take_while(|a| *a != "--")
            .any(|a| !a.starts_with('-') && a.contains('@'))
    };
    match inv.command.join(" ").as_str() {
        "" | "version" | "env" | "help" | "fmt" | "doc" | "bug" | "telemetry" | "mod" | "work"
        | "mod edit" | "mod init" | "work edit" | "work init" | "work use" => CommandClass::Offline,
        "install" | "run" if has_version_arg() => CommandClass::Fetch,
        "build" | "install" | "run" | "test" | "vet" | "list" | "generate" | "clean" | "tool"
        | "fix" => CommandClass::Build,
        "get" | "mod download" | "mod tidy" | "mod graph" | "mod why" | "mod vendor"
        | "mod verify" | "work sync" | "work vendor" => CommandClass::Fetch,
        // Unknown commands (and typos) make go fail; treat them as build-like so goshim never
        // skips preparing the network for a command it does not know.
        _ => CommandClass::Build,
    }
}

/// A toolchain switch go would make before running the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolchainSwitch {
    /// The toolchain go would run, e.g. `go1.99.0`.
    pub target: String,
    /// True when go may download it (`golang.org/toolchain` through GOPROXY, with the checksum
    /// database); false for the `path` forms, which only look in PATH.
    pub may_download: bool,
}

/// `toolchain.Select` for this project: `local_version` is the real go's version without the
/// `go` prefix (`1.27.3`).
pub fn toolchain_switch(
    project: &Project,
    env: &GoEnv,
    local_version: &str,
) -> Option<ToolchainSwitch> {
    if env.get("GO111MODULE") == "off" {
        return None;
    }
    if is_exempt_from_selection(&project.layout.invocation) {
        return None;
    }
    let gotoolchain = env.get("GOTOOLCHAIN");
    let (min, mode) = match gotoolchain.split_once('+') {
        Some((min, mode @ ("auto" | "path"))) => (min, mode),
        Some(_) => return None,
        None => match gotoolchain {
            "" | "local" => return None,
            "auto" | "path" => ("local", gotoolchain),
            exact => {
                let v = exact.strip_prefix("go")?;
                return (v != local_version).then(|| ToolchainSwitch {
                    target: exact.to_string(),
                    may_download: true,
                });
            }
        },
    };
    let mut pick = match min {
        "local" => local_version.to_string(),
        m => m.strip_prefix("go")?.to_string(),
    };
    match project.toolchain_line() {
        Some("default") => {}
        other => {
            if let Some(t) = other.and_then(|t| t.strip_prefix("go"))
                && gover::compare(t, &pick) == Ordering::Greater
            {
                pick = t.to_string();
            }
            if let Some(g) = project.go_line()
                && gover::compare(g, &pick) == Ordering::Greater
            {
                pick = language_to_release(g);
            }
        }
    }
    (pick != local_version).then(|| ToolchainSwitch {
        target: format!("go{pick}"),
        may_download: mode == "auto",
    })
}

/// `go 1.22` names the release `1.22.0` from Go 1.21 on (`1.20` stays `1.20`).
fn language_to_release(v: &str) -> String {
    let dots = v.matches('.').count();
    let is_lang = dots == 1 && v.bytes().all(|b| b.is_ascii_digit() || b == b'.');
    if is_lang && gover::compare(v, "1.21") != Ordering::Less {
        format!("{v}.0")
    } else {
        v.to_string()
    }
}

/// The exact forms go never runs toolchain selection for.
fn is_exempt_from_selection(inv: &Invocation) -> bool {
    if inv.command != ["env"] {
        return false;
    }
    match inv.args.as_slice() {
        [a] => matches!(a.as_str(), "GOTOOLCHAIN" | "GOMOD" | "GOWORK"),
        [w, kv] => w == "-w" && kv.starts_with("GOTOOLCHAIN="),
        _ => false,
    }
}

/// True when this go invocation can reach the network: it fetches by design, or it builds
/// outside vendor mode (missing modules are downloaded), or a toolchain download may happen.
pub fn may_reach_network(project: &Project, env: &GoEnv, local_version: &str) -> bool {
    if toolchain_switch(project, env, local_version).is_some_and(|s| s.may_download) {
        return true;
    }
    match command_class(&project.layout.invocation) {
        CommandClass::Offline => false,
        CommandClass::Fetch => true,
        CommandClass::Build => {
            project.layout.modules_enabled
                && !matches!(project.build_mod, BuildMod::Vendor | BuildMod::Invalid(_))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::goenv::env::EnvSources;
    use crate::goenv::gomod::ModFile;
    use crate::goenv::project::{Layout, WorkFile, parse_invocation};
    use std::path::Path;

    fn inv(argv: &[&str]) -> Invocation {
        let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        parse_invocation(Path::new("/w"), &args)
    }

    #[test]
    fn classes() {
        use CommandClass::*;
        let rows: &[(&[&str], CommandClass)] = &[
            (&["version"], Offline),
            (&["env", "GOPROXY"], Offline),
            (&["help", "modules"], Offline),
            (&["fmt", "./..."], Offline),
            (&["doc", "fmt"], Offline),
            (&["mod", "edit", "-go=1.22"], Offline),
            (&["mod", "init", "example.com/m"], Offline),
            (&["fix", "./..."], Build),
            (&["work", "use", "./a"], Offline),
            (&[], Offline),
            (&["build", "./..."], Build),
            (&["-C", "d", "test", "./..."], Build),
            (&["vet", "."], Build),
            (&["list", "-m", "all"], Build),
            (&["install", "./cmd/x"], Build),
            (&["install", "golang.org/x/tools/gopls@latest"], Fetch),
            (&["run", "example.com/cmd@v1.2.3", "arg"], Fetch),
            (&["run", ".", "--", "x@y"], Build),
            (&["get", "example.com/m@v1"], Fetch),
            (&["mod", "download"], Fetch),
            (&["mod", "tidy"], Fetch),
            (&["work", "sync"], Fetch),
            (&["bogus"], Build),
        ];
        for &(argv, want) in rows {
            assert_eq!(command_class(&inv(argv)), want, "{argv:?}");
        }
    }

    fn project(
        argv: &[&str],
        go: Option<&str>,
        toolchain: Option<&str>,
        build_mod: BuildMod,
    ) -> Project {
        Project {
            layout: Layout {
                invocation: inv(argv),
                modules_enabled: true,
                go111module_auto: false,
                gomod: Some("/w/go.mod".into()),
                work_file: WorkFile::None,
                gopath_gomod: None,
            },
            module: Some(ModFile {
                module: Some("m".into()),
                go: go.map(String::from),
                toolchain: toolchain.map(String::from),
                ..ModFile::default()
            }),
            workspace: None,
            explicit_mod: None,
            build_mod,
        }
    }

    fn env(gotoolchain: &str) -> GoEnv {
        let mut src = EnvSources::default();
        src.process.insert("GOTOOLCHAIN".into(), gotoolchain.into());
        GoEnv::from_sources(src)
    }

    #[test]
    fn toolchain_selection() {
        type Row<'a> = (
            &'a str,
            Option<&'a str>,
            Option<&'a str>,
            &'a [&'a str],
            Option<(&'a str, bool)>,
        );
        let rows: &[Row] = &[
            ("auto", Some("1.22"), None, &["build"], None),
            (
                "auto",
                Some("1.99"),
                None,
                &["build"],
                Some(("go1.99.0", true)),
            ),
            (
                "auto",
                Some("1.20"),
                Some("go1.99.1"),
                &["build"],
                Some(("go1.99.1", true)),
            ),
            ("auto", Some("1.99"), Some("default"), &["build"], None),
            ("local", Some("1.99"), None, &["build"], None),
            (
                "path",
                Some("1.99"),
                None,
                &["build"],
                Some(("go1.99.0", false)),
            ),
            (
                "local+path",
                Some("1.99"),
                None,
                &["build"],
                Some(("go1.99.0", false)),
            ),
            (
                "go1.98.0+auto",
                Some("1.21"),
                None,
                &["build"],
                Some(("go1.98.0", true)),
            ),
            ("go1.27.3", Some("1.99"), None, &["build"], None),
            ("go1.26.0", None, None, &["build"], Some(("go1.26.0", true))),
            ("auto", Some("1.99"), None, &["env", "GOTOOLCHAIN"], None),
            ("auto", Some("1.99"), None, &["env", "GOMOD"], None),
            (
                "auto",
                Some("1.99"),
                None,
                &["env", "-json", "GOMOD"],
                Some(("go1.99.0", true)),
            ),
            (
                "auto",
                Some("1.99"),
                None,
                &["env", "-w", "GOTOOLCHAIN=local"],
                None,
            ),
            (
                "auto",
                Some("1.28rc1"),
                None,
                &["build"],
                Some(("go1.28rc1", true)),
            ),
            ("bogus+x", Some("1.99"), None, &["build"], None),
        ];
        for &(gt, go, tc, argv, want) in rows {
            let p = project(argv, go, tc, BuildMod::Readonly);
            let got = toolchain_switch(&p, &env(gt), "1.27.3");
            let want = want.map(|(t, d)| ToolchainSwitch {
                target: t.into(),
                may_download: d,
            });
            assert_eq!(
                got, want,
                "GOTOOLCHAIN={gt} go={go:?} toolchain={tc:?} {argv:?}"
            );
        }
    }

    #[test]
    fn network_reach() {
        let local = env("local");
        let rows: &[(&[&str], BuildMod, bool)] = &[
            (&["build", "./..."], BuildMod::Readonly, true),
            (&["build", "./..."], BuildMod::Vendor, false),
            (&["test", "./..."], BuildMod::Invalid("x".into()), false),
            (&["version"], BuildMod::Readonly, false),
            (&["mod", "download"], BuildMod::Mod, true),
            (&["install", "x.com/y@v1"], BuildMod::Vendor, true),
        ];
        for (argv, mode, want) in rows {
            let p = project(argv, Some("1.22"), None, mode.clone());
            assert_eq!(
                may_reach_network(&p, &local, "1.27.3"),
                *want,
                "{argv:?} {mode:?}"
            );
        }
        let p = project(&["version"], Some("1.99"), None, BuildMod::Readonly);
        assert!(may_reach_network(&p, &env("auto"), "1.27.3"));
    }
}

//! Which go invocations can reach the network: by command, by vendor mode, and by toolchain
//! switches (`toolchain/select.go`).

use std::cmp::Ordering;

use super::env::GoEnv;
use super::gover;
use std::path::{Path, PathBuf};

use super::project::{BuildMod, Invocation, Layout, Project, WorkFile};

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
    #[allow(
        clippy::match_same_arms,
        reason = "the known build commands are listed; the wildcard is for the unknown"
    )]
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

/// `toolchain.Select` for this project: which toolchain go switches to before running the
/// command, if any. `local_version` is the real go's version without the `go` prefix
/// (`1.27.3`). An error is go's own fatal message (`go: invalid GOTOOLCHAIN "x"`).
pub fn toolchain_switch(
    layout: &Layout,
    env: &GoEnv,
    local_version: &str,
) -> Result<Option<ToolchainSwitch>, String> {
    if !layout.modules_enabled || is_exempt_from_selection(&layout.invocation) {
        return Ok(None);
    }
    let gotoolchain = env.get("GOTOOLCHAIN");
    if gotoolchain.is_empty() {
        return Ok(None);
    }
    let local = format!("go{local_version}");
    let (mut pick, mut min_vers, mode) = match gotoolchain {
        "auto" | "path" => (local.clone(), local_version.to_string(), gotoolchain),
        _ => {
            let (min, suffix) = match gotoolchain.split_once('+') {
                Some((m, s)) => (m, Some(s)),
                None => (gotoolchain, None),
            };
            let (pick, vers) = if min == "local" {
                (local.clone(), local_version.to_string())
            } else {
                match gover::from_toolchain(min) {
                    Some(v) => (min.to_string(), v.to_string()),
                    None if suffix.is_some() => {
                        return Err(format!(
                            "go: invalid GOTOOLCHAIN \"{gotoolchain}\": invalid minimum toolchain \"{min}\""
                        ));
                    }
                    None => return Err(format!("go: invalid GOTOOLCHAIN \"{gotoolchain}\"")),
                }
            };
            match suffix {
                Some(s @ ("auto" | "path")) => (pick, vers, s),
                Some(_) => {
                    return Err(format!(
                        "go: invalid GOTOOLCHAIN \"{gotoolchain}\": only version suffixes are +auto and +path"
                    ));
                }
                None => (pick, vers, ""),
            }
        }
    };
    if mode == "auto" || mode == "path" {
        let (file, go, toolchain) = selection_lines(layout)?;
        let (go, toolchain) = (go.as_str(), toolchain.as_str());
        if toolchain != "default" {
            if !toolchain.is_empty() {
                let Some(v) = gover::from_toolchain(toolchain) else {
                    let file = short_path(&file, &layout.invocation.dir);
                    return Err(format!("go: invalid toolchain \"{toolchain}\" in {file}"));
                };
                if gover::compare(v, &min_vers) == Ordering::Greater {
                    pick = toolchain.to_string();
                    min_vers = v.to_string();
                }
            }
            if gover::compare(go, &min_vers) == Ordering::Greater {
                pick = format!("go{go}");
                if gover::is_lang(go) && gover::compare(go, "1.21") != Ordering::Less {
                    pick.push_str(".0");
                }
            }
        }
    }
    if pick == local {
        return Ok(None);
    }
    if !pick.starts_with("go1") && !pick.contains("-go1") {
        return Err(format!("go: invalid GOTOOLCHAIN \"{pick}\""));
    }
    let path_only = gotoolchain == "path" || gotoolchain.ends_with("+path");
    Ok(Some(ToolchainSwitch {
        target: pick,
        may_download: !path_only,
    }))
}

/// `modGoToolchain`: the file toolchain selection reads (an existing go.work, else go.mod)
/// and its `go` and `toolchain` values, found line by line as `gover.GoModLookup` does (so a
/// go.mod that does not parse still selects).
fn selection_lines(layout: &Layout) -> Result<(PathBuf, String, String), String> {
    let work = match &layout.work_file {
        WorkFile::File(p) if p.exists() => Some(p.clone()),
        _ => None,
    };
    let Some(file) = work.or_else(|| layout.gomod.clone()) else {
        return Ok((PathBuf::new(), String::new(), String::new()));
    };
    let text = crate::fsread::read(&file, crate::fsread::MAX_GO_FILE_BYTES)
        .map_err(|e| format!("go: {}: {e}", file.display()))?;
    let text = String::from_utf8_lossy(&text);
    Ok((
        file,
        go_mod_lookup(&text, "go"),
        go_mod_lookup(&text, "toolchain"),
    ))
}

/// `gover.GoModLookup`: the value of the first line `key value` (comments stripped).
pub fn go_mod_lookup(text: &str, key: &str) -> String {
    text.split('\n')
        .find_map(|line| {
            let rest = line.trim().strip_prefix(key)?;
            if !rest.starts_with([' ', '\t']) {
                return None;
            }
            let value = rest.split("//").next().unwrap_or(rest);
            Some(value.trim().to_string())
        })
        .unwrap_or_default()
}

/// `base.ShortPath`: `path` relative to `dir` when that is shorter.
fn short_path(path: &Path, dir: &Path) -> String {
    let (p, d): (Vec<_>, Vec<_>) = (path.components().collect(), dir.components().collect());
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    let mut rel = PathBuf::new();
    for _ in common..d.len() {
        rel.push("..");
    }
    for c in &p[common..] {
        rel.push(c);
    }
    let (rel, full) = (rel.display().to_string(), path.display().to_string());
    if common > 0 && rel.len() < full.len() {
        rel
    } else {
        full
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
/// An invalid GOTOOLCHAIN makes go stop before anything else, so it reaches nothing.
pub fn may_reach_network(project: &Project, env: &GoEnv, local_version: &str) -> bool {
    match toolchain_switch(&project.layout, env, local_version) {
        Ok(Some(s)) if s.may_download => return true,
        Err(_) => return false,
        _ => {}
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
        let args: Vec<String> = argv.iter().map(std::string::ToString::to_string).collect();
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

    /// A project whose go.mod (in a temp dir that lives as long as the returned guard) has
    /// these `go` and `toolchain` lines.
    fn project(
        argv: &[&str],
        go: Option<&str>,
        toolchain: Option<&str>,
        build_mod: BuildMod,
    ) -> (tempfile::TempDir, Project) {
        let dir = tempfile::tempdir().expect("tempdir");
        let gomod = dir.path().join("go.mod");
        let mut text = "module m\n".to_string();
        for (key, v) in [("go", go), ("toolchain", toolchain)] {
            if let Some(v) = v {
                text.push_str(&format!("{key} {v} // comment\n"));
            }
        }
        std::fs::write(&gomod, text).expect("write go.mod");
        let project = Project {
            layout: Layout {
                invocation: inv(argv),
                modules_enabled: true,
                go111module_auto: false,
                gomod: Some(gomod),
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
        };
        (dir, project)
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
            ("local", Some("1.20"), None, &["build"], None),
            ("go1.27.3+auto", Some("1.27"), None, &["build"], None),
            (
                "go1.20+auto",
                Some("1.20"),
                None,
                &["build"],
                Some(("go1.20", true)),
            ),
        ];
        for &(gt, go, tc, argv, want) in rows {
            let (_dir, p) = project(argv, go, tc, BuildMod::Readonly);
            let got = toolchain_switch(&p.layout, &env(gt), "1.27.3");
            let want = Ok(want.map(|(t, d)| ToolchainSwitch {
                target: t.into(),
                may_download: d,
            }));
            assert_eq!(
                got, want,
                "GOTOOLCHAIN={gt} go={go:?} toolchain={tc:?} {argv:?}"
            );
        }
    }

    #[test]
    fn toolchain_errors() {
        let rows: &[(&str, Option<&str>, &str)] = &[
            ("bogus", None, "go: invalid GOTOOLCHAIN \"bogus\""),
            ("1.98.0", None, "go: invalid GOTOOLCHAIN \"1.98.0\""),
            (
                "bogus+auto",
                None,
                "go: invalid GOTOOLCHAIN \"bogus+auto\": invalid minimum toolchain \"bogus\"",
            ),
            (
                "go1.22.0+foo",
                None,
                "go: invalid GOTOOLCHAIN \"go1.22.0+foo\": only version suffixes are +auto and +path",
            ),
            (
                "auto",
                Some("1.22"),
                "go: invalid toolchain \"1.22\" in {gomod}",
            ),
        ];
        for &(gt, tc, want) in rows {
            let (_dir, p) = project(&["build"], Some("1.21"), tc, BuildMod::Readonly);
            let gomod = p
                .layout
                .gomod
                .as_ref()
                .expect("go.mod")
                .display()
                .to_string();
            assert_eq!(
                toolchain_switch(&p.layout, &env(gt), "1.27.3"),
                Err(want.replace("{gomod}", &gomod)),
                "GOTOOLCHAIN={gt} toolchain={tc:?}"
            );
        }
    }

    #[test]
    fn go_mod_lookup_and_short_path() {
        let text = "module m\n  go 1.22 // c\ngopher x\ntoolchain\tgo1.23.1\ngo 1.99\n";
        assert_eq!(go_mod_lookup(text, "go"), "1.22");
        assert_eq!(go_mod_lookup(text, "toolchain"), "go1.23.1");
        assert_eq!(go_mod_lookup(text, "godebug"), "");
        let p = Path::new("/a/b/go.work");
        assert_eq!(short_path(p, Path::new("/a/b/c")), "../go.work");
        assert_eq!(short_path(p, Path::new("/a/b")), "go.work");
        assert_eq!(short_path(p, Path::new("/x/y/z/w")), "/a/b/go.work");
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
            let (_dir, p) = project(argv, Some("1.22"), None, mode.clone());
            assert_eq!(
                may_reach_network(&p, &local, "1.27.3"),
                *want,
                "{argv:?} {mode:?}"
            );
        }
        let (_dir, p) = project(&["version"], Some("1.99"), None, BuildMod::Readonly);
        assert!(may_reach_network(&p, &env("auto"), "1.27.3"));
    }
}

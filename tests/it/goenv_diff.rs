//! Differential test: goshim's `goenv` against the real go, on generated settings.
//!
//! A seeded xorshift generator builds a few hundred combinations of process environment, user
//! env file (default location, XDG_CONFIG_HOME, GOENV path or `off`), GOPRIVATE/GONOPROXY/
//! GONOSUMDB and go.mod/go.work layouts (vendor dirs, `-C`, the temp-root go.mod). For each, the
//! effective values and the project answers must equal what the real go reports:
//! `GOTOOLCHAIN=local go env -json …`, `go env GOTOOLCHAIN` (the form that never switches) and
//! `go list -m all` (which fails "using the vendor directory" exactly in vendor mode).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use goshim::goenv::GoEnv;
use goshim::goenv::command;
use goshim::goenv::project::{self, BuildMod, ProjectContext};

use crate::support::realgo;
use crate::support::rng::XorShift;

const CASES: usize = 240;
const GO_VERSION: &str = "1.27.3";
const KEYS: &[&str] = &[
    "GO111MODULE",
    "GOAUTH",
    "GOENV",
    "GOFLAGS",
    "GOINSECURE",
    "GOMOD",
    "GOMODCACHE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOPATH",
    "GOPRIVATE",
    "GOPROXY",
    "GOROOT",
    "GOSUMDB",
    "GOVCS",
    "GOWORK",
];

/// One generated setting: the process environment, files on disk, where go runs and its argv
/// prefix (`-C dir` or nothing).
struct Case {
    index: usize,
    root: PathBuf,
    env: Vec<(String, String)>,
    cwd: PathBuf,
    chdir: Vec<String>,
    /// `-mod` flags given to `go list` on the command line.
    list_flags: Vec<String>,
    notes: Vec<String>,
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn value_pool(key: &str, root: &Path) -> Vec<String> {
    let v: &[&str] = match key {
        "GOPROXY" => &[
            "https://proxy.golang.org,direct",
            "off",
            "direct",
            "https://goproxy.cn|direct",
            " spaced.example , direct",
            "\"https://q.example\"",
        ],
        "GOSUMDB" => &["sum.golang.org", "off", "sum.golang.google.cn"],
        "GOPRIVATE" => &[
            "corp.example",
            "*.corp.example,corp.example",
            " x.org",
            "a/b/",
        ],
        "GONOPROXY" => &["none", "np.example"],
        "GONOSUMDB" => &["none", "ns.example,*.ns.example"],
        "GOINSECURE" => &["ins.example"],
        "GOFLAGS" => &[
            "-mod=mod",
            "-mod=vendor",
            "-mod=readonly",
            "-x",
            "'-ldflags=-s -w' -mod=vendor",
            "'-x",
            "-- -x",
        ],
        "GO111MODULE" => &["on", "auto", "off", "on"],
        "GOAUTH" => &["off", "netrc"],
        "GOVCS" => &["private:all", "*:git"],
        "GOWORK" => &["off", "auto"],
        "GOTOOLCHAIN" => &["local", "auto", "path", "go1.99.0", "local+path"],
        _ => &[],
    };
    let mut out: Vec<String> = v.iter().map(std::string::ToString::to_string).collect();
    match key {
        "GOPATH" => {
            out.push(root.join("gp").display().to_string());
            out.push(format!(
                "{}:{}",
                root.join("gp1").display(),
                root.join("gp2").display()
            ));
        }
        "GOMODCACHE" => out.push(root.join("modcache").display().to_string()),
        "GOWORK" => {
            out.push(root.join("w/go.work").display().to_string());
            out.push(root.join("missing/go.work").display().to_string());
        }
        _ => {}
    }
    out
}

const VARS: &[&str] = &[
    "GOPROXY",
    "GOSUMDB",
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOINSECURE",
    "GOFLAGS",
    "GO111MODULE",
    "GOAUTH",
    "GOVCS",
    "GOWORK",
    "GOTOOLCHAIN",
    "GOPATH",
    "GOMODCACHE",
];

fn generate(index: usize, base: &Path, goroot: &Path) -> Case {
    let mut rng =
        XorShift(0x9e37_79b9_7f4a_7c15 ^ (index as u64 + 1).wrapping_mul(0x2545_f491_4f6c_dd1d));
    let root = base.join(format!("case{index:03}"));
    let home = root.join("home");
    std::fs::create_dir_all(&home).expect("home");
    let mut notes = Vec::new();
    let mut env: Vec<(String, String)> = vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("GOCACHE".into(), realgo::gocache().display().to_string()),
        ("CGO_ENABLED".into(), "0".into()),
        ("NETRC".into(), root.join("netrc").display().to_string()),
    ];
    if !rng.chance(5) {
        env.push(("HOME".into(), home.display().to_string()));
    }
    if rng.chance(10) {
        env.push(("GOROOT".into(), format!("{}/", goroot.display())));
    }

    // Where the user env file is, and whether go finds it.
    let default_file = home.join(".config/go/env");
    let file = match rng.below(6) {
        0 => {
            let x = root.join("xdg");
            env.push(("XDG_CONFIG_HOME".into(), format!("{}/", x.display())));
            x.join("go/env")
        }
        1 => {
            env.push(("XDG_CONFIG_HOME".into(), "relative/xdg".into()));
            root.join("relative/xdg/go/env")
        }
        2 => {
            let f = root.join("custom.env");
            env.push(("GOENV".into(), f.display().to_string()));
            f
        }
        3 => {
            env.push(("GOENV".into(), "off".into()));
            default_file.clone()
        }
        4 => {
            env.push(("GOENV".into(), "rel.env".into()));
            root.join("rel.env")
        }
        _ => default_file.clone(),
    };
    notes.push(format!("user file {}", file.display()));

    // Process variables (sometimes empty, which must fall through) and file lines.
    let mut lines: Vec<String> = vec!["# written by the test".into(), "lowercase=ignored".into()];
    for key in VARS {
        let pool = value_pool(key, &root);
        let in_env = rng.below(4);
        if in_env == 0 && !pool.is_empty() {
            let v = rng.pick(&pool).clone();
            env.push((key.to_string(), v));
        } else if in_env == 1 {
            env.push((key.to_string(), String::new()));
        }
        match rng.below(6) {
            0 if !pool.is_empty() => lines.push(format!("{key}={}", rng.pick(&pool))),
            1 => lines.push(format!("{key}=")),
            2 if !pool.is_empty() => {
                lines.push(format!("{key}=first"));
                lines.push(format!("{key}={}", rng.pick(&pool)));
            }
            3 if !pool.is_empty() => lines.push(format!("{key} = {}", rng.pick(&pool))),
            _ => {}
        }
    }
    if rng.chance(10) {
        lines.push("GOPRIVATE=crlf.example\r".into());
    }
    if rng.chance(8) {
        // A go.mod at the root of the first GOPATH entry: modload warns about it.
        let gp = root.join("gpmod");
        write(&gp.join("go.mod"), "module gopathroot\n");
        env.retain(|(k, _)| k != "GOPATH");
        env.push(("GOPATH".into(), gp.display().to_string()));
        notes.push("go.mod in $GOPATH".into());
    }
    if rng.chance(8) {
        lines.push("GOWORK=rel/go.work".into());
    }
    match rng.below(25) {
        0 => lines.push(format!("GOROOT={}/", goroot.display())),
        1 => lines.push(format!("GOROOT={}", root.join("no-goroot").display())),
        _ => {}
    }
    if rng.chance(3) {
        lines.push("GO111MODULE=bogus".into());
    }
    for _ in 0..rng.below(3) {
        let a = rng.below(lines.len());
        let b = rng.below(lines.len());
        lines.swap(a, b);
    }
    if rng.chance(90) {
        write(&file, &(lines.join("\n") + "\n"));
    }

    // Layout.
    let go_line = |rng: &mut XorShift| -> String {
        match rng.below(5) {
            0 => String::new(),
            1 => "go 1.13\n".into(),
            2 => "go 1.21\n".into(),
            3 => "go 1.22.3\n".into(),
            _ => "go 1.24\n".into(),
        }
    };
    let vendor = |rng: &mut XorShift, dir: &Path, notes: &mut Vec<String>| match rng.below(5) {
        0 => {
            std::fs::create_dir_all(dir.join("vendor")).expect("vendor");
            notes.push("vendor dir without modules.txt".into());
        }
        1 => {
            write(&dir.join("vendor/modules.txt"), "");
            notes.push("vendor dir, empty modules.txt".into());
        }
        2 => {
            write(&dir.join("vendor/modules.txt"), "## workspace\n");
            notes.push("vendor dir, workspace modules.txt".into());
        }
        3 => {
            write(&dir.join("vendor"), "a file named vendor\n");
            notes.push("vendor file".into());
        }
        _ => {}
    };
    let (mut cwd, layout) = match rng.below(7) {
        0 => (root.join("p"), "no go.mod"),
        1 | 2 => {
            let g = go_line(&mut rng);
            write(
                &root.join("p/go.mod"),
                &format!("module example.com/p\n\n{g}"),
            );
            vendor(&mut rng, &root.join("p"), &mut notes);
            (root.join("p/sub"), "module p")
        }
        3 | 4 => {
            let work_go = *rng.pick(&["1.22", "1.24", "1.21"]);
            write(
                &root.join("w/go.work"),
                &format!("go {work_go}\n\nuse (\n\t./a\n\t./b // second\n)\n"),
            );
            write(
                &root.join("w/a/go.mod"),
                "module example.com/a\n\ngo 1.21\n",
            );
            write(
                &root.join("w/b/go.mod"),
                "module \"example.com/b\"\n\ngo 1.21\n",
            );
            vendor(&mut rng, &root.join("w"), &mut notes);
            (
                root.join(*rng.pick(&["w/a", "w", "w/b/deep"])),
                "workspace w",
            )
        }
        5 => {
            std::fs::create_dir_all(root.join("p/go.mod")).expect("dir go.mod");
            (root.join("p"), "go.mod is a directory")
        }
        _ => {
            write(
                &root.join("go.mod"),
                "module example.com/tmproot\n\ngo 1.22\n",
            );
            env.push(("TMPDIR".into(), root.display().to_string()));
            (root.join("p"), "go.mod in TMPDIR root")
        }
    };
    std::fs::create_dir_all(&cwd).expect("cwd");
    notes.push(format!("layout: {layout}, dir {}", cwd.display()));

    // Sometimes run from the case root with -C.
    let mut chdir = Vec::new();
    if rng.chance(30) {
        let rel = cwd
            .strip_prefix(&root)
            .expect("under root")
            .display()
            .to_string();
        let form = rng.below(3);
        chdir = match form {
            0 => vec!["-C".into(), rel],
            1 => vec![format!("-C={rel}")],
            _ => vec!["--C".into(), rel],
        };
        cwd.clone_from(&root);
    }
    let list_flags: Vec<String> = match rng.below(8) {
        0 => vec!["-mod=vendor".into()],
        1 => vec!["-mod".into(), "readonly".into()],
        2 => vec!["--mod=mod".into()],
        3 => vec!["-e".into(), "-mod=vendor".into(), "-mod=readonly".into()],
        _ => vec![],
    };
    Case {
        index,
        root,
        env,
        cwd,
        chdir,
        list_flags,
        notes,
    }
}

struct GoRun {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn run_go(case: &Case, env: &[(String, String)], args: &[String]) -> GoRun {
    let out = Command::new(realgo::go())
        .args(args)
        .current_dir(&case.cwd)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run go");
    GoRun {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn with_var(env: &[(String, String)], key: &str, value: &str) -> Vec<(String, String)> {
    let mut e: Vec<_> = env.iter().filter(|(k, _)| k != key).cloned().collect();
    e.push((key.to_string(), value.to_string()));
    e
}

/// What the library predicts `go list -m all` does.
#[derive(Debug, PartialEq, Eq)]
enum ListOutcome {
    Ok,
    Vendor,
    Error,
}

fn check(case: &Case, stats: &Stats) -> Vec<String> {
    let mut problems = Vec::new();
    let desc = || {
        format!(
            "case {} (root {}): env {:?}; {}; argv prefix {:?}; list flags {:?}",
            case.index,
            case.root.display(),
            case.env,
            case.notes.join("; "),
            case.chdir,
            case.list_flags
        )
    };
    let argv_with = |rest: &[&str]| -> Vec<String> {
        case.chdir
            .iter()
            .cloned()
            .chain(rest.iter().map(std::string::ToString::to_string))
            .collect()
    };

    // 1. go env -json, with GOTOOLCHAIN=local as the library is asked too.
    let local_env = with_var(&case.env, "GOTOOLCHAIN", "local");
    let mut args = argv_with(&["env", "-json"]);
    args.extend(KEYS.iter().map(std::string::ToString::to_string));
    let go = run_go(case, &local_env, &args);
    let process: HashMap<String, String> = local_env.iter().cloned().collect();
    let lib = GoEnv::load(process, Some(realgo::go()), &case.cwd);
    let temp_dir = PathBuf::from(
        case.env
            .iter()
            .find(|(k, _)| k == "TMPDIR")
            .map_or("/tmp", |(_, v)| v.as_str()),
    );
    let ctx = ProjectContext {
        env: &lib,
        go_version: GO_VERSION,
        temp_dir: &temp_dir,
    };
    let layout = project::locate(&case.cwd, &args, &ctx);
    match (&layout, go.ok) {
        (Ok(p), true) => {
            stats.env_compared.fetch_add(1, Ordering::Relaxed);
            let got: BTreeMap<String, String> =
                serde_json::from_str(&go.stdout).expect("go env -json output");
            for key in KEYS {
                let mine = match *key {
                    "GOMOD" => p.go_env_gomod(),
                    "GOWORK" => p.go_env_gowork(),
                    k => lib.get(k).to_string(),
                };
                let theirs = got.get(*key).cloned().unwrap_or_default();
                if mine != theirs {
                    problems.push(format!(
                        "{key}: goshim {mine:?}, go {theirs:?} — {}",
                        desc()
                    ));
                }
            }
        }
        (Err(_), false) => {}
        (Ok(_), false) => problems.push(format!(
            "go env failed ({}) but goshim did not — {}",
            go.stderr.trim(),
            desc()
        )),
        (Err(e), true) => problems.push(format!(
            "goshim failed ({e}) but go env did not — {}",
            desc()
        )),
    }

    // 2. GOTOOLCHAIN through the one form that never switches, with the generated environment.
    let go = run_go(case, &case.env, &["env".into(), "GOTOOLCHAIN".into()]);
    let process: HashMap<String, String> = case.env.iter().cloned().collect();
    let lib_tc = GoEnv::load(process, Some(realgo::go()), &case.cwd);
    let ctx_tc = ProjectContext {
        env: &lib_tc,
        go_version: GO_VERSION,
        temp_dir: &temp_dir,
    };
    let located = project::locate(&case.cwd, &["env".into(), "GOTOOLCHAIN".into()], &ctx_tc);
    let theirs = go.stdout.trim_end_matches('\n');
    match (located, go.ok) {
        (Ok(_), true) if theirs == lib_tc.get("GOTOOLCHAIN") => {}
        (Err(_), false) => {}
        (mine, _) => problems.push(format!(
            "go env GOTOOLCHAIN: goshim {:?} ({:?}), go {theirs:?} ({}) — {}",
            lib_tc.get("GOTOOLCHAIN"),
            mine.err(),
            go.stderr.trim(),
            desc()
        )),
    }

    // 3. Vendor mode and workspace: go list -m all.
    let mut list: Vec<&str> = vec!["list"];
    list.extend(case.list_flags.iter().map(String::as_str));
    list.extend(["-m", "all"]);
    let args = argv_with(&list);
    let go = run_go(case, &local_env, &args);
    let theirs = if go.ok {
        ListOutcome::Ok
    } else if [
        "vendor directory",
        "inconsistent vendoring",
        "vendor/modules.txt",
    ]
    .iter()
    .any(|m| go.stderr.contains(m))
    {
        ListOutcome::Vendor
    } else {
        ListOutcome::Error
    };
    match theirs {
        ListOutcome::Ok => &stats.list_ok,
        ListOutcome::Vendor => &stats.list_vendor,
        ListOutcome::Error => &stats.list_error,
    }
    .fetch_add(1, Ordering::Relaxed);
    let proj = project::inspect(&case.cwd, &args, &ctx);
    let mine = match &proj {
        Err(_) => ListOutcome::Error,
        Ok(p) if !p.layout.modules_enabled => ListOutcome::Error,
        Ok(p) if p.vendor_mode() => ListOutcome::Vendor,
        Ok(p) if matches!(p.build_mod, BuildMod::Invalid(_)) => ListOutcome::Error,
        Ok(p) if p.layout.gomod.is_none() && p.workspace.is_none() => ListOutcome::Error,
        Ok(_) => ListOutcome::Ok,
    };
    if mine != theirs {
        problems.push(format!(
            "go list -m all: goshim {mine:?} ({:?}), go {theirs:?} ({}) — {}",
            proj.as_ref().map(|p| &p.build_mod),
            go.stderr.trim(),
            desc()
        ));
    }
    let warned = go.stderr.contains("ignoring go.mod in $GOPATH");
    // go checks $GOPATH/go.mod after settling -mod, so an invalid -mod ends it first.
    if let Ok(p) = &proj
        && !matches!(p.build_mod, BuildMod::Invalid(_))
        && p.layout.gopath_gomod.is_some() != warned
    {
        problems.push(format!(
            "$GOPATH/go.mod: goshim {:?}, go warned: {warned} — {}",
            p.layout.gopath_gomod,
            desc()
        ));
    }
    if warned {
        stats.gopath_gomod.fetch_add(1, Ordering::Relaxed);
    }
    // The workspace module paths go lists are the ones the library read from the use dirs.
    if let (Ok(p), ListOutcome::Ok) = (&proj, &theirs)
        && let Some(ws) = &p.workspace
    {
        stats.workspaces.fetch_add(1, Ordering::Relaxed);
        let listed: Vec<&str> = go.stdout.lines().collect();
        let mine: Vec<&str> = ws
            .modules
            .iter()
            .filter_map(|m| m.module_path.as_deref())
            .collect();
        if listed != mine {
            problems.push(format!(
                "workspace modules: goshim {mine:?}, go {listed:?} — {}",
                desc()
            ));
        }
    }
    problems
}

/// How many cases exercised each kind of answer, so the generator cannot drift into testing
/// nothing.
#[derive(Default)]
struct Stats {
    env_compared: AtomicUsize,
    list_ok: AtomicUsize,
    list_vendor: AtomicUsize,
    list_error: AtomicUsize,
    workspaces: AtomicUsize,
    gopath_gomod: AtomicUsize,
}

#[test]
fn goenv_matches_real_go_on_generated_settings() {
    let go = realgo::go();
    let goroot = std::fs::canonicalize(go)
        .expect("real go path")
        .parent()
        .and_then(Path::parent)
        .expect("GOROOT")
        .to_path_buf();
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases: Vec<Case> = (0..CASES)
        .map(|i| generate(i, tmp.path(), &goroot))
        .collect();
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let stats = Stats::default();
    let workers = std::thread::available_parallelism()
        .map_or(2, std::num::NonZero::get)
        .clamp(2, 6);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let found = check(case, &stats);
                    problems.lock().expect("lock").extend(found);
                }
            });
        }
    });
    let problems = problems.into_inner().expect("lock");
    let counts = [
        ("go env compared", stats.env_compared.into_inner(), 150),
        ("list ok", stats.list_ok.into_inner(), 30),
        ("list vendor mode", stats.list_vendor.into_inner(), 15),
        ("list error", stats.list_error.into_inner(), 15),
        ("workspaces listed", stats.workspaces.into_inner(), 10),
        ("go.mod in $GOPATH", stats.gopath_gomod.into_inner(), 5),
    ];
    eprintln!("goenv differential coverage: {counts:?}");
    for (what, n, min) in counts {
        assert!(
            n >= min,
            "only {n} cases for {what} (want {min}): the generator drifted"
        );
    }
    assert!(
        problems.is_empty(),
        "{} differences from the real go (first 15):\n{}",
        problems.len(),
        problems
            .iter()
            .take(15)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// What go did about the toolchain, read from a run with `GOPROXY=off` and no `go1.*` in PATH
/// (so a switch fails at once, without network).
#[derive(Debug, PartialEq, Eq)]
enum Selection {
    Local,
    Download(String),
    PathOnly(String),
    Invalid,
}

/// `None` when go failed for a reason that has nothing to do with toolchains.
fn observed_selection(ok: bool, stderr: &str) -> Option<Selection> {
    if ok {
        return Some(Selection::Local);
    }
    let after = |marker: &str, end: char| {
        let i = stderr.find(marker)? + marker.len();
        Some(stderr[i..].split(end).next()?.to_string())
    };
    if stderr.contains("go: invalid GOTOOLCHAIN") || stderr.contains("go: invalid toolchain") {
        return Some(Selection::Invalid);
    }
    if let Some(t) = after("go: downloading ", ' ') {
        return Some(Selection::Download(t));
    }
    after("go: cannot find \"", '"').map(Selection::PathOnly)
}

/// Toolchain selection against the real go: GOTOOLCHAIN forms (process or env file), `go` and
/// `toolchain` lines in go.mod or go.work, GO111MODULE, the exempt `go env` forms and `-C`.
#[test]
fn toolchain_selection_matches_real_go() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut rng = XorShift(0x7001_c4a1_0000_0001);
    let gotoolchains = [
        "",
        "auto",
        "path",
        "local",
        "local+auto",
        "local+path",
        "go1.27.3",
        "go1.26.1",
        "go1.99.0",
        "go1.26.0+auto",
        "go1.98.0+path",
        "go1.27.3+auto",
        "bogus",
        "go1.2+x",
        "1.98.0",
    ];
    let go_lines = [
        "",
        "go 1.21\n",
        "go 1.27\n",
        "go 1.27.3\n",
        "go 1.28\n",
        "go 1.99rc1\n",
        "go 1.20\n",
    ];
    let toolchain_lines = [
        "",
        "",
        "toolchain go1.99.1\n",
        "toolchain default\n",
        "toolchain go1.20\n",
        "toolchain 1.22\n",
        "toolchain go1.28.0-custom\n",
    ];
    let commands: [&[&str]; 5] = [
        &["version"],
        &["env", "GOTOOLCHAIN"],
        &["env", "GOMOD"],
        &["env", "GOPROXY"],
        &["mod", "edit", "-json"],
    ];
    let mut cases = Vec::new();
    for i in 0..150 {
        let root = tmp.path().join(format!("t{i:03}"));
        let home = root.join("home");
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), home.display().to_string()),
            ("GOCACHE".into(), realgo::gocache().display().to_string()),
            ("GOPROXY".into(), "off".into()),
            ("GOFLAGS".into(), String::new()),
        ];
        let gt = *rng.pick(&gotoolchains);
        if rng.chance(25) {
            write(&home.join(".config/go/env"), &format!("GOTOOLCHAIN={gt}\n"));
        } else if !gt.is_empty() {
            env.push(("GOTOOLCHAIN".into(), gt.into()));
        }
        if rng.chance(15) {
            env.push(("GO111MODULE".into(), (*rng.pick(&["off", "auto"])).into()));
        }
        let lines = format!("{}{}", rng.pick(&go_lines), rng.pick(&toolchain_lines));
        let dir = match rng.below(3) {
            0 => root.join("none"),
            1 => {
                write(
                    &root.join("m/go.mod"),
                    &format!("module example.com/m\n{lines}"),
                );
                root.join("m")
            }
            _ => {
                write(&root.join("w/go.work"), &format!("{lines}use ./a\n"));
                write(&root.join("w/a/go.mod"), "module example.com/a\ngo 1.21\n");
                root.join("w/a")
            }
        };
        std::fs::create_dir_all(&dir).expect("dir");
        let mut argv: Vec<String> = rng
            .pick(&commands)
            .iter()
            .map(std::string::ToString::to_string)
            .collect();
        let cwd = if rng.chance(25) {
            let rel = dir
                .strip_prefix(&root)
                .expect("under root")
                .display()
                .to_string();
            argv.splice(0..0, ["-C".to_string(), rel]);
            root.clone()
        } else {
            dir
        };
        cases.push((cwd, env, argv));
    }
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let seen = Mutex::new(std::collections::BTreeSet::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some((cwd, env, argv)) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let out = Command::new(realgo::go())
                        .args(argv)
                        .current_dir(cwd)
                        .env_clear()
                        .envs(env.iter().map(|(k, v)| (k, v)))
                        .output()
                        .expect("run go");
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    // A failure that is not about toolchains happened after selection kept
                    // the local toolchain (e.g. `go mod edit` without a go.mod).
                    let theirs = observed_selection(out.status.success(), &stderr)
                        .unwrap_or(Selection::Local);
                    let process: HashMap<String, String> = env.iter().cloned().collect();
                    let lib = GoEnv::load(process, Some(realgo::go()), cwd);
                    let ctx = ProjectContext {
                        env: &lib,
                        go_version: GO_VERSION,
                        temp_dir: Path::new("/tmp"),
                    };
                    let mine = match project::locate(cwd, argv, &ctx) {
                        Err(e) => Err(e.to_string()),
                        Ok(l) => match command::toolchain_switch(&l, &lib, GO_VERSION) {
                            Err(_) => Ok(Selection::Invalid),
                            Ok(None) => Ok(Selection::Local),
                            Ok(Some(sw)) if sw.may_download => Ok(Selection::Download(sw.target)),
                            Ok(Some(sw)) => Ok(Selection::PathOnly(sw.target)),
                        },
                    };
                    seen.lock().expect("lock").insert(format!("{mine:?}"));
                    if mine.as_ref().ok() != Some(&theirs) {
                        problems.lock().expect("lock").push(format!(
                            "goshim {mine:?}, go {theirs:?} ({}) — env {env:?}, argv {argv:?}, cwd {}",
                            stderr.trim(),
                            cwd.display()
                        ));
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().expect("lock");
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
    let seen = seen.into_inner().expect("lock");
    assert!(seen.len() >= 8, "too few distinct outcomes: {seen:?}");
}

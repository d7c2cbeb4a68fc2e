//! The project shape for one go invocation: `-C`, GO111MODULE, go.mod and go.work discovery,
//! the main module(s), and whether vendor mode is in effect — as `main.go handleChdirFlag` and
//! `modload/init.go` decide it.

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::env::{GoEnv, clean};
use super::gomod::{ModFile, ModFileError, parse_go_mod, parse_go_work};
use super::gover;

/// go subcommands that have subcommands of their own (`go mod tidy`, `go work use`).
const PARENT_COMMANDS: &[(&str, &[&str])] = &[
    (
        "mod",
        &[
            "download", "edit", "graph", "init", "tidy", "vendor", "verify", "why",
        ],
    ),
    ("work", &["edit", "init", "sync", "use", "vendor"]),
];

/// Commands that define the `-mod` flag (so `-mod` in argv or GOFLAGS applies to them).
const MOD_FLAG_COMMANDS: &[&str] = &[
    "build", "clean", "fmt", "generate", "install", "list", "run", "test", "vet",
];

/// Build and test flag names that take a value, so `-o file` consumes the next argument
/// (boolean flags such as `-v`, `-race`, `-json`, `-buildvcs` do not).
const VALUE_FLAGS: &[&str] = &[
    "C",
    "o",
    "p",
    "mod",
    "modfile",
    "overlay",
    "pgo",
    "pkgdir",
    "tags",
    "toolexec",
    "exec",
    "ldflags",
    "gcflags",
    "asmflags",
    "gccgoflags",
    "buildmode",
    "compiler",
    "installsuffix",
    "coverpkg",
    "covermode",
    "f",
    "run",
    "skip",
    "bench",
    "benchtime",
    "count",
    "cpu",
    "parallel",
    "timeout",
    "outputdir",
    "coverprofile",
    "cpuprofile",
    "memprofile",
    "blockprofile",
    "mutexprofile",
    "trace",
    "fuzz",
    "fuzztime",
    "fuzzminimizetime",
    "shuffle",
    "vettool",
    "memprofilerate",
    "blockprofilerate",
    "mutexprofilefraction",
];

/// `-C dir` applied as go does, and the command words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation {
    /// The directory go works in (cwd joined with `-C dir`).
    pub dir: PathBuf,
    /// The `-C` argument, when present.
    pub chdir: Option<String>,
    /// The command words: `["build"]`, `["mod", "tidy"]`, `[]` for a bare `go`.
    pub command: Vec<String>,
    /// The arguments after the command words, `-C` removed.
    pub args: Vec<String>,
}

/// Splits argv (without argv\[0]) as `main.go` does: command words, then `-C dir`, `--C dir`,
/// `-C=dir` or `--C=dir` only directly after them (or directly after `go`).
pub fn parse_invocation(cwd: &Path, argv: &[String]) -> Invocation {
    let mut args = argv.to_vec();
    let mut chdir = None;
    // go handles exactly one -C; a second is an error later ("must be first flag").
    let used = command_words(&args);
    match args.get(used).map(String::as_str) {
        Some("-C" | "--C") if used + 1 < args.len() => {
            chdir = Some(args[used + 1].clone());
            args.drain(used..used + 2);
        }
        Some(a) if a.starts_with("-C=") || a.starts_with("--C=") => {
            chdir = a.split_once('=').map(|(_, d)| d.to_string());
            args.remove(used);
        }
        _ => {}
    }
    let used = command_words(&args);
    let dir = match &chdir {
        Some(d) => clean(&cwd.join(d)),
        None => cwd.to_path_buf(),
    };
    Invocation {
        dir,
        chdir,
        command: args[..used].to_vec(),
        args: args[used..].to_vec(),
    }
}

fn command_words(args: &[String]) -> usize {
    let Some(first) = args.first() else { return 0 };
    if first.starts_with('-') {
        return 0;
    }
    match PARENT_COMMANDS.iter().find(|(p, _)| p == first) {
        Some((_, subs)) if args.get(1).is_some_and(|s| subs.contains(&s.as_str())) => 2,
        _ => 1,
    }
}

/// GOWORK as `modload.FindGoWork` resolves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkFile {
    /// `GOWORK=off`.
    Off,
    /// No go.work found (or modules are off).
    None,
    /// This go.work file (found by walking up, or GOWORK's absolute path).
    File(PathBuf),
}

/// The `-mod` mode go applies to this command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildMod {
    Mod,
    Readonly,
    Vendor,
    /// go will stop with this error before doing any work (e.g. `-mod=mod` in a workspace).
    Invalid(String),
}

/// One `use` entry of the workspace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkspaceModule {
    /// The directory, resolved against the go.work directory.
    pub dir: PathBuf,
    /// Its module path, when its go.mod exists and names one.
    pub module_path: Option<String>,
    /// The module paths its go.mod requires.
    pub requires: Vec<String>,
}

/// The workspace, when go.work is in effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    pub file: PathBuf,
    pub work: ModFile,
    pub modules: Vec<WorkspaceModule>,
}

/// Where go works and which files it would use, found without reading go.mod or go.work —
/// what `go env GOMOD GOWORK` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub invocation: Invocation,
    /// Module mode (GO111MODULE on/unset, or auto with a go.mod or go.work).
    pub modules_enabled: bool,
    /// GO111MODULE=auto.
    pub go111module_auto: bool,
    /// The main module's go.mod (`None` = none found, or modules are off).
    pub gomod: Option<PathBuf>,
    /// GOWORK as `go env GOWORK` reports it.
    pub work_file: WorkFile,
    /// `$GOPATH/go.mod` (first GOPATH entry) exists: in module mode go prints
    /// `go: warning: ignoring go.mod in $GOPATH …`, and commands that need a main module
    /// (`go mod tidy`, …) fail.
    pub gopath_gomod: Option<PathBuf>,
}

impl Layout {
    /// GOMOD as `go env GOMOD` prints it: the go.mod found, else `/dev/null` in module mode,
    /// else "". `go env` looks for go.mod before go.work, so GO111MODULE=auto with only a
    /// go.work prints "".
    pub fn go_env_gomod(&self) -> String {
        match &self.gomod {
            _ if !self.modules_enabled => String::new(),
            Some(p) => p.display().to_string(),
            None if self.go111module_auto => String::new(),
            None => "/dev/null".to_string(),
        }
    }

    /// GOWORK as `go env GOWORK` prints it.
    pub fn go_env_gowork(&self) -> String {
        match &self.work_file {
            WorkFile::Off => "off".to_string(),
            WorkFile::None => String::new(),
            WorkFile::File(p) => p.display().to_string(),
        }
    }
}

/// Everything goshim needs to know about the project for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub layout: Layout,
    /// The parsed main go.mod.
    pub module: Option<ModFile>,
    /// The workspace, when go runs in workspace mode.
    pub workspace: Option<Workspace>,
    /// `-mod` from argv or GOFLAGS, when the command takes it.
    pub explicit_mod: Option<String>,
    /// The mode in effect for this command.
    pub build_mod: BuildMod,
}

impl Project {
    /// True when go runs this command with `-mod=vendor` (explicit or by default).
    pub fn vendor_mode(&self) -> bool {
        self.build_mod == BuildMod::Vendor
    }

    /// The `go` line that governs toolchain selection: go.work's in a workspace, else go.mod's.
    pub fn go_line(&self) -> Option<&str> {
        match &self.workspace {
            Some(w) => w.work.go.as_deref(),
            None => self.module.as_ref().and_then(|m| m.go.as_deref()),
        }
    }

    /// The `toolchain` line that governs toolchain selection.
    pub fn toolchain_line(&self) -> Option<&str> {
        match &self.workspace {
            Some(w) => w.work.toolchain.as_deref(),
            None => self.module.as_ref().and_then(|m| m.toolchain.as_deref()),
        }
    }
}

/// Why the project could not be inspected; go would fail the same way.
#[derive(Debug, Error)]
pub enum ProjectError {
    /// main.go's GOROOT/GOPATH checks or the GOFLAGS syntax check failed; go's message.
    #[error("{0}")]
    Startup(String),
    #[error("go: unknown environment setting GO111MODULE={0}")]
    BadGo111Module(String),
    #[error("go: invalid GOWORK: not an absolute path")]
    GoworkNotAbsolute,
    #[error("go: chdir {dir}: {source}")]
    Chdir { dir: String, source: std::io::Error },
    #[error("go: reading {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("go: errors parsing {0}")]
    Parse(#[from] ModFileError),
}

/// Inputs that are not files: the effective environment and the real go's version.
pub struct ProjectContext<'a> {
    pub env: &'a GoEnv,
    /// The real go's version without the `go` prefix (`1.27.3`): workspace vendoring needs 1.22.
    pub go_version: &'a str,
    /// `os.TempDir()`: a go.mod directly in it is ignored.
    pub temp_dir: &'a Path,
}

/// Finds where go works and which go.mod/go.work it would use, without parsing them: `-C`,
/// main.go's GOROOT/GOPATH checks, GO111MODULE, the go.mod walk-up (regular file, temp-root
/// exception) and GOWORK.
pub fn locate(cwd: &Path, argv: &[String], ctx: &ProjectContext) -> Result<Layout, ProjectError> {
    let invocation = parse_invocation(cwd, argv);
    if let Some(d) = &invocation.chdir
        && let Err(source) = std::fs::read_dir(&invocation.dir)
    {
        return Err(ProjectError::Chdir {
            dir: d.clone(),
            source,
        });
    }
    if invocation.command.first().is_none_or(|c| c != "help")
        && let Some(e) = ctx.env.startup_error()
    {
        return Err(ProjectError::Startup(e));
    }
    let hides_goflags = matches!(
        invocation.command.first().map(String::as_str),
        Some("env" | "bug" | "help" | "tool")
    );
    if !hides_goflags && let Err(e) = check_goflags(ctx.env.get("GOFLAGS")) {
        return Err(ProjectError::Startup(e));
    }
    let dir = invocation.dir.clone();
    let (auto, off) = match ctx.env.get("GO111MODULE") {
        "" | "on" => (false, false),
        "auto" => (true, false),
        "off" => (false, true),
        other => return Err(ProjectError::BadGo111Module(other.to_string())),
    };
    let work_file = find_go_work(&dir, ctx)?;
    if off {
        return Ok(Layout {
            invocation,
            modules_enabled: false,
            go111module_auto: false,
            gomod: None,
            work_file,
            gopath_gomod: None,
        });
    }
    let gomod = find_module_root(&dir)
        .filter(|root| clean(root) != clean(ctx.temp_dir))
        .map(|root| root.join("go.mod"));
    let in_workspace = matches!(work_file, WorkFile::File(_));
    let modules_enabled = !auto || gomod.is_some() || in_workspace;
    let gopath_gomod = std::env::split_paths(ctx.env.get("GOPATH"))
        .next()
        .filter(|p| modules_enabled && !p.as_os_str().is_empty())
        .map(|p| p.join("go.mod"))
        .filter(|p| p.exists());
    Ok(Layout {
        invocation,
        modules_enabled,
        go111module_auto: auto,
        gomod: if modules_enabled { gomod } else { None },
        work_file,
        gopath_gomod,
    })
}

/// Inspects the project for `argv` (without argv\[0]) run in `cwd`: [`locate`], then reads
/// go.mod, go.work and the workspace modules' go.mod, and works out the `-mod` mode.
pub fn inspect(cwd: &Path, argv: &[String], ctx: &ProjectContext) -> Result<Project, ProjectError> {
    let layout = locate(cwd, argv, ctx)?;
    if !layout.modules_enabled {
        return Ok(Project {
            layout,
            module: None,
            workspace: None,
            explicit_mod: None,
            build_mod: BuildMod::Readonly,
        });
    }
    let module = layout.gomod.as_deref().map(read_mod).transpose()?;
    let workspace = match &layout.work_file {
        WorkFile::File(p) => Some(read_workspace(p)?),
        _ => None,
    };
    let explicit_mod = explicit_mod(&layout.invocation, ctx.env.get("GOFLAGS"));
    let build_mod = build_mod(
        &layout.invocation,
        explicit_mod.as_deref(),
        layout.gomod.as_deref(),
        module.as_ref(),
        workspace.as_ref(),
        ctx.go_version,
    );
    Ok(Project {
        layout,
        module,
        workspace,
        explicit_mod,
        build_mod,
    })
}

fn find_go_work(dir: &Path, ctx: &ProjectContext) -> Result<WorkFile, ProjectError> {
    match ctx.env.get("GOWORK") {
        "off" => Ok(WorkFile::Off),
        "" | "auto" => Ok(find_workspace_file(dir, Path::new(ctx.env.get("GOROOT")))
            .map_or(WorkFile::None, WorkFile::File)),
        p if Path::new(p).is_absolute() => Ok(WorkFile::File(PathBuf::from(p))),
        _ => Err(ProjectError::GoworkNotAbsolute),
    }
}

/// `findModuleRoot`: the nearest directory with a regular file `go.mod`.
pub fn find_module_root(dir: &Path) -> Option<PathBuf> {
    clean(dir)
        .ancestors()
        .find(|d| d.join("go.mod").metadata().is_ok_and(|m| !m.is_dir()))
        .map(Path::to_path_buf)
}

/// `findWorkspaceFile`: the nearest regular file `go.work`, never looking into GOROOT's parent
/// chain once GOROOT is reached.
pub fn find_workspace_file(dir: &Path, goroot: &Path) -> Option<PathBuf> {
    let mut d = clean(dir);
    loop {
        let f = d.join("go.work");
        if f.metadata().is_ok_and(|m| !m.is_dir()) {
            return Some(f);
        }
        let parent = d.parent()?.to_path_buf();
        if parent.as_os_str() == goroot.as_os_str() {
            return None;
        }
        d = parent;
    }
}

fn read_text(path: &Path) -> Result<String, ProjectError> {
    crate::fsread::read(path, crate::fsread::MAX_GO_FILE_BYTES)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .map_err(|e| ProjectError::Read {
            path: path.to_path_buf(),
            source: e.into(),
        })
}

fn read_mod(path: &Path) -> Result<ModFile, ProjectError> {
    let text = read_text(path)?;
    Ok(parse_go_mod(&path.display().to_string(), &text)?)
}

fn read_workspace(path: &Path) -> Result<Workspace, ProjectError> {
    let text = read_text(path)?;
    let work = parse_go_work(&path.display().to_string(), &text)?;
    let base = path.parent().unwrap_or(Path::new("/"));
    let modules = work
        .uses
        .iter()
        .map(|u| {
            let dir = clean(&base.join(u));
            let gomod = read_text(&dir.join("go.mod"))
                .ok()
                .and_then(|t| parse_go_mod("go.mod", &t).ok());
            WorkspaceModule {
                dir,
                requires: gomod
                    .as_ref()
                    .map(|m| m.requires.iter().map(|r| r.path.clone()).collect())
                    .unwrap_or_default(),
                module_path: gomod.and_then(|m| m.module),
            }
        })
        .collect();
    Ok(Workspace {
        file: path.to_path_buf(),
        work,
        modules,
    })
}

/// `-mod` as the command will see it: GOFLAGS first, then the command line (last wins); only
/// for commands that define the flag.
fn explicit_mod(inv: &Invocation, goflags: &str) -> Option<String> {
    let cmd = inv.command.join(" ");
    if !MOD_FLAG_COMMANDS.contains(&cmd.as_str()) {
        return None;
    }
    let mut found = None;
    for field in split_goflags(goflags).unwrap_or_default() {
        if let Some(v) = mod_value(&field) {
            found = Some(v.to_string());
        }
    }
    let mut i = 0;
    while i < inv.args.len() {
        let a = &inv.args[i];
        if a == "--" || !a.starts_with('-') || a == "-" {
            if cmd != "test" || a == "-args" {
                break;
            }
            i += 1;
            continue;
        }
        let name = a.trim_start_matches('-');
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (name, None),
        };
        if name == "mod" {
            match inline {
                Some(v) => found = Some(v.to_string()),
                None => found = inv.args.get(i + 1).cloned().or(found),
            }
        }
        if name == "args" {
            break;
        }
        i += if inline.is_none() && VALUE_FLAGS.contains(&name) {
            2
        } else {
            1
        };
    }
    found
}

fn mod_value(field: &str) -> Option<&str> {
    field
        .strip_prefix("--mod=")
        .or_else(|| field.strip_prefix("-mod="))
}

/// `cmd/internal/quoted.Split`: fields separated by spaces, tabs, CR or LF; a field may be
/// wrapped whole in single or double quotes (no escapes). An unterminated quote is an error.
pub fn split_goflags(s: &str) -> Result<Vec<String>, String> {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r');
    let mut out = Vec::new();
    let mut rest = s;
    loop {
        rest = rest.trim_start_matches(is_space);
        let Some(c) = rest.chars().next() else { break };
        if c == '\'' || c == '"' {
            let end = rest[1..]
                .find(c)
                .ok_or_else(|| format!("unterminated {c} string"))?;
            out.push(rest[1..=end].to_string());
            rest = &rest[end + 2..];
        } else {
            let end = rest.find(is_space).unwrap_or(rest.len());
            out.push(rest[..end].to_string());
            rest = &rest[end..];
        }
    }
    Ok(out)
}

/// `base.InitGOFLAGS`'s syntax checks, which make every command but `env`, `bug`, `help` and
/// `tool` fail: quoting, and fields that are not flags. (go also rejects flag names no go
/// command defines; goshim does not know that list and lets those through.)
pub fn check_goflags(goflags: &str) -> Result<(), String> {
    let fields = split_goflags(goflags).map_err(|e| format!("go: parsing $GOFLAGS: {e}"))?;
    for f in fields {
        let bad = !f.starts_with('-')
            || f == "-"
            || f == "--"
            || f.starts_with("---")
            || f.starts_with("-=")
            || f.starts_with("--=");
        if bad {
            return Err(format!(
                "go: parsing $GOFLAGS: non-flag {}",
                super::gourl::go_quote(&f)
            ));
        }
    }
    Ok(())
}

/// `setDefaultBuildMod`.
fn build_mod(
    inv: &Invocation,
    explicit: Option<&str>,
    gomod: Option<&Path>,
    module: Option<&ModFile>,
    workspace: Option<&Workspace>,
    go_version: &str,
) -> BuildMod {
    if let Some(m) = explicit {
        return match m {
            "mod" if workspace.is_some() => BuildMod::Invalid(format!(
                "go: -mod may only be set to readonly or vendor when in workspace mode, but it is set to \"{m}\""
            )),
            "mod" => BuildMod::Mod,
            "readonly" => BuildMod::Readonly,
            "vendor" => BuildMod::Vendor,
            other => BuildMod::Invalid(format!("go: -mod={other} not supported")),
        };
    }
    match inv.command.join(" ").as_str() {
        "get" | "mod download" | "mod init" | "mod tidy" | "work sync" | "mod graph"
        | "mod verify" | "mod why" => return BuildMod::Mod,
        "mod vendor" | "work vendor" => return BuildMod::Readonly,
        _ => {}
    }
    let (go_line, vendor_dir) = match (workspace, gomod) {
        (Some(w), _) => {
            if gover::compare(go_version, "1.22") == std::cmp::Ordering::Less {
                return BuildMod::Readonly;
            }
            (
                w.work.go.as_deref(),
                w.file.parent().map(|d| d.join("vendor")),
            )
        }
        (None, Some(g)) => (
            module.and_then(|m| m.go.as_deref()),
            g.parent().map(|d| d.join("vendor")),
        ),
        (None, None) => return BuildMod::Readonly,
    };
    let Some(vendor_dir) = vendor_dir.filter(|d| d.is_dir()) else {
        return BuildMod::Readonly;
    };
    match go_line {
        Some(v) if gover::compare(v, "1.14") != std::cmp::Ordering::Less => {
            if modules_txt_is_for_workspace(&vendor_dir) == workspace.is_some() {
                BuildMod::Vendor
            } else {
                BuildMod::Readonly
            }
        }
        _ => BuildMod::Readonly,
    }
}

/// `modulesTextIsForWorkspace`: the first line of vendor/modules.txt (within its first 512
/// bytes) is `## …` with a `workspace` entry.
fn modules_txt_is_for_workspace(vendor_dir: &Path) -> bool {
    let Ok(bytes) = crate::fsread::read(
        &vendor_dir.join("modules.txt"),
        crate::fsread::MAX_GO_FILE_BYTES,
    ) else {
        return false;
    };
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(512)]).into_owned();
    let line = head.split('\n').next().unwrap_or("");
    line.strip_prefix("## ")
        .is_some_and(|a| a.split(';').any(|e| e.trim() == "workspace"))
}

#[cfg(test)]
mod tests;

//! The hot path: what happens when goshim runs as `go`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use crate::config::{self, ConfigError, LoadInput, Loaded, Origin};
use crate::decide::{self, Decision, Inputs, ProjectFacts};
use crate::env_vars::{self, GOSHIM_DEPTH, GOSHIM_DISABLE, GOSHIM_MANAGED};
use crate::exec::{self, ExplicitSource, Launch, RealGo, SearchInput};
use crate::goenv::gomod::ModFile;
use crate::goenv::project::{Project, ProjectContext};
use crate::goenv::{self, GoEnv};
use crate::health::{Settings, Verdicts};

/// True when argv[0]'s file stem is `go` (`go`, `/usr/bin/go`, `go.exe`).
pub fn invoked_as_go(argv0: &OsStr) -> bool {
    let path = Path::new(argv0);
    let stem = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("exe"))
    {
        path.file_stem()
    } else {
        path.file_name()
    };
    stem.is_some_and(|s| s == "go")
}

/// Runs the real go with `args`, as if it had been called directly; `argv0` is passed on as
/// go's own argv[0].
pub fn run(argv0: OsString, args: Vec<OsString>) -> ExitCode {
    let depth = exec::current_depth();
    if let Err(err) = exec::check_depth(depth) {
        return fail(&err.to_string(), 2);
    }
    let plan = match plan(&args) {
        Ok(plan) => plan,
        Err(err) => return fail(&err.to_string(), err.exit_code()),
    };
    if let Some(loaded) = &plan.loaded {
        print_notices(loaded);
    }
    if let Some(decided) = &plan.decided {
        decided.report(plan.loaded.as_ref());
    }
    if let (Some(err), Some(loaded)) = (&plan.project_error, &plan.loaded)
        && loaded.config.debug_log.value
    {
        eprintln!("goshim: debug: project not inspected, nothing decided (go reports it): {err}");
    }
    let mut set = plan.variables();
    set.push((
        OsString::from(GOSHIM_DEPTH),
        OsString::from((depth + 1).to_string()),
    ));
    exec::launch(Launch {
        go: &plan.real.path,
        argv0: &argv0,
        args: &args,
        set,
    })
}

/// Everything gathered for one go invocation, and what goshim decided.
#[derive(Debug)]
pub struct Plan {
    /// The real go.
    pub real: RealGo,
    /// The configuration; `None` with `GOSHIM_DISABLE=1`.
    pub loaded: Option<Loaded>,
    /// The decision and its inputs; `None` when goshim is disabled or the project could not be
    /// inspected (go then reports the problem itself).
    pub decided: Option<Decided>,
    /// Why the project could not be inspected, when it could not.
    pub project_error: Option<String>,
}

/// The decision and the facts it was made from.
#[derive(Debug)]
pub struct Decided {
    pub go_env: GoEnv,
    pub project: Project,
    pub go_version: String,
    pub network: bool,
    pub verdicts: Option<Verdicts>,
    pub decision: Decision,
}

impl Decided {
    /// The failover/offline notice (unless quiet) and, with `GOSHIM_LOG=debug`, the decision
    /// trace, on stderr.
    fn report(&self, loaded: Option<&Loaded>) {
        let config = loaded.map(|l| &l.config);
        if config.is_some_and(|c| c.debug_log.value) {
            for line in self.trace() {
                eprintln!("{line}");
            }
        }
        if !config.is_some_and(|c| c.shim.quiet.value)
            && let Some(notice) = &self.decision.notice
        {
            eprintln!("{notice}");
        }
    }

    /// The decision trace: one line per variable set or kept, with its reasons.
    pub fn trace(&self) -> Vec<String> {
        let mut lines = vec![format!(
            "goshim: debug: go {} at {}, network: {}",
            self.go_version,
            self.project.layout.invocation.dir.display(),
            if self.network { "yes" } else { "no" }
        )];
        for (verb, settings) in [("set", &self.decision.set), ("kept", &self.decision.kept)] {
            for s in settings {
                lines.push(format!(
                    "goshim: debug: {verb} {}={} ({})",
                    s.name,
                    crate::health::redact(&s.value),
                    s.reasons.join("; ")
                ));
            }
        }
        for w in &self.decision.warnings {
            lines.push(format!("goshim: debug: warning: {w}"));
        }
        lines
    }
}

impl Plan {
    /// The variables to export to the real go: the decision's, and `GOSHIM_MANAGED` naming them.
    pub fn variables(&self) -> Vec<(OsString, OsString)> {
        let Some(decided) = &self.decided else {
            return Vec::new();
        };
        let mut vars: Vec<(OsString, OsString)> = decided
            .decision
            .set
            .iter()
            .map(|s| (OsString::from(s.name), OsString::from(&s.value)))
            .collect();
        if !vars.is_empty() {
            vars.push((
                OsString::from(GOSHIM_MANAGED),
                OsString::from(decided.decision.managed()),
            ));
        }
        vars
    }

    /// The environment go sees once goshim's variables are exported: the process environment
    /// with the decision applied, resolved as go resolves it (GONOPROXY/GONOSUMDB fall back to
    /// the final GOPRIVATE, and so on).
    pub fn final_go_env(&self) -> Option<GoEnv> {
        let decided = self.decided.as_ref()?;
        let mut process = env_vars::process_env();
        for s in &decided.decision.set {
            process.insert(s.name.to_string(), s.value.clone());
        }
        Some(GoEnv::load(
            process,
            Some(&self.real.path),
            &decided.project.layout.invocation.dir,
        ))
    }
}

/// Why goshim cannot run go at all.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("cannot read the working directory: {0}")]
    Cwd(std::io::Error),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Find(#[from] exec::FindError),
}

impl PlanError {
    /// 2 for unusable input, 127 when there is no real go.
    pub fn exit_code(&self) -> u8 {
        match self {
            PlanError::Cwd(_) => 2,
            PlanError::Config(err) => err.exit_code(),
            PlanError::Find(err) => err.exit_code(),
        }
    }
}

/// Gathers everything for running go with `args` from here, and decides.
pub fn plan(args: &[OsString]) -> Result<Plan, PlanError> {
    let mut input = SearchInput::from_process().map_err(PlanError::Cwd)?;
    if crate::env_vars::is_true(GOSHIM_DISABLE) {
        let real = exec::find_real_go(&input)?;
        return Ok(Plan {
            real,
            loaded: None,
            decided: None,
            project_error: None,
        });
    }
    // go's own view of the arguments; anything that is not UTF-8 cannot be a flag go reads here.
    let argv: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let dir = goenv::project::parse_invocation(&input.cwd, &argv).dir;
    let loaded = load_config_in(&mut input, dir)?;
    let real = exec::find_real_go(&input)?;
    let process = env_vars::process_env();
    let managed: Vec<String> = process
        .get(GOSHIM_MANAGED)
        .map(|m| m.split(',').map(str::to_string).collect())
        .unwrap_or_default();
    let go_env = GoEnv::load(process, Some(&real.path), &input.cwd);
    let go_version = go_version(&go_env);
    let project = goenv::project::inspect(
        &input.cwd,
        &argv,
        &ProjectContext {
            env: &go_env,
            go_version: &go_version,
            temp_dir: &std::env::temp_dir(),
        },
    );
    let project = match project {
        Ok(project) => project,
        Err(err) => {
            return Ok(Plan {
                real,
                loaded: Some(loaded),
                decided: None,
                project_error: Some(err.to_string()),
            });
        }
    };
    let network = goenv::command::may_reach_network(&project, &go_env, &go_version);
    let config = &loaded.config;
    // A GOPROXY the user exported is used exactly as it is: nothing to probe for it.
    let probe = network
        && !decide::user_owns(&go_env, &managed, config, "GOPROXY")
        && !config.force_offline.value;
    let verdicts = probe.then(|| {
        let settings = Settings::for_go(&config.health, &go_env);
        let candidates = decide::candidates(&go_env, &managed, config);
        crate::health::verdicts(&candidates, &settings, SystemTime::now())
    });
    let facts = project_facts(&project, &go_env, &go_version);
    let modcache = Path::new(go_env.get("GOMODCACHE"));
    let download_dir = modcache.is_absolute().then(|| {
        modcache
            .join("cache")
            .join("download")
            .display()
            .to_string()
    });
    let decision = decide::decide(&Inputs {
        network,
        project: &facts,
        go_env: &go_env,
        managed: &managed,
        config,
        verdicts: verdicts.as_ref(),
        download_dir: download_dir.as_deref(),
    });
    Ok(Plan {
        real,
        loaded: Some(loaded),
        decided: Some(Decided {
            go_env,
            project,
            go_version,
            network,
            verdicts,
            decision,
        }),
        project_error: None,
    })
}

/// The real go's version without the `go` prefix (`1.27.3`), from `$GOROOT/VERSION`; empty
/// when unreadable (a development build).
fn go_version(go_env: &GoEnv) -> String {
    let text = std::fs::read_to_string(Path::new(go_env.get("GOROOT")).join("VERSION"))
        .unwrap_or_default();
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("go"))
        .unwrap_or_default()
        .to_string()
}

/// What the decision needs to know about the project.
fn project_facts(project: &Project, go_env: &GoEnv, go_version: &str) -> ProjectFacts {
    let mut files: Vec<&ModFile> = project.module.iter().collect();
    if let Some(ws) = &project.workspace {
        files.push(&ws.work);
    }
    let mut modules: Vec<String> = files.iter().filter_map(|f| f.module.clone()).collect();
    if let Some(ws) = &project.workspace {
        modules.extend(ws.modules.iter().filter_map(|m| m.module_path.clone()));
    }
    let mut requires: Vec<String> = files
        .iter()
        .flat_map(|f| f.requires.iter().map(|r| r.path.clone()))
        .collect();
    if let Some(ws) = &project.workspace {
        requires.extend(ws.modules.iter().flat_map(|m| m.requires.iter().cloned()));
    }
    let toolchain_switch = goenv::command::toolchain_switch(&project.layout, go_env, go_version)
        .ok()
        .flatten()
        .filter(|s| s.may_download)
        .map(|s| s.target.trim_start_matches("go").to_string());
    ProjectFacts {
        workspace: project.workspace.is_some(),
        modules,
        requires,
        toolchain_switch,
    }
}

/// Loads the configuration for `input.cwd` (nothing when `GOSHIM_DISABLE=1`) and lets a `[shim]
/// go` from the user or system config choose the real go when `GOSHIM_GO` does not.
pub fn load_config(input: &mut SearchInput) -> Result<Option<Loaded>, ConfigError> {
    if crate::env_vars::is_true(GOSHIM_DISABLE) {
        return Ok(None);
    }
    let dir = input.cwd.clone();
    load_config_in(input, dir).map(Some)
}

/// Loads the configuration for the project directory `dir` (where go runs after `-C`).
fn load_config_in(input: &mut SearchInput, dir: PathBuf) -> Result<Loaded, ConfigError> {
    let loaded = config::load(&LoadInput::from_process(dir))?;
    if input.explicit.is_none()
        && let Some(go) = &loaded.config.shim.go
        && matches!(go.origin, Origin::File { .. })
    {
        input.explicit = Some((go.value.clone(), ExplicitSource::Config));
    }
    Ok(loaded)
}

/// Prints the configuration notices on stderr unless quiet, and the configuration trace when
/// `GOSHIM_LOG=debug`.
pub fn print_notices(loaded: &Loaded) {
    if loaded.config.debug_log.value {
        for line in loaded.trace() {
            eprintln!("{line}");
        }
    }
    if !loaded.config.shim.quiet.value {
        for line in loaded.notices() {
            eprintln!("{line}");
        }
    }
}

fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("goshim: error: {message}");
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argv0_dispatch() {
        for (argv0, shim) in [
            ("go", true),
            ("/usr/local/bin/go", true),
            ("./go", true),
            ("go.exe", true),
            ("C:/bin/go.EXE", true),
            ("goshim", false),
            ("/x/go/bin/goshim", false),
            ("gofmt", false),
            ("go1.22.0", false),
            ("", false),
        ] {
            assert_eq!(invoked_as_go(OsStr::new(argv0)), shim, "{argv0}");
        }
    }
}

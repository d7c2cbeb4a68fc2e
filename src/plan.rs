//! The planning stage: everything one go invocation gathers, in order, and the decision made
//! from it.
//!
//! 1. find the real go ([`crate::realgo`]), after the configuration had its say (`shim.go`);
//! 2. load the configuration for the directory go will run in ([`crate::config`]);
//! 3. resolve go's own environment ([`crate::goenv::env`]) and inspect the project;
//! 4. choose what to probe ([`probe_request`]) and read the verdicts ([`crate::health`]);
//! 5. decide ([`crate::decide`]).
//!
//! The shim, `env`, `explain`, `doctor`, `route`, `which` and `probe` all start here, so they
//! see the same thing. [`Plan::report`] is the one place notices and the debug trace are printed.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::config::schema::HealthConfig;
use crate::config::{self, ConfigError, LoadInput, Loaded, Origin};
use crate::decide::{self, Decision, Inputs, ProjectFacts};
use crate::env_vars::{GOSHIM_DISABLE, GOSHIM_MANAGED, GOSHIM_NOTICES};
use crate::exit::Exit;
use crate::goenv::gomod::ModFile;
use crate::goenv::gosum::SumFiles;
use crate::goenv::project::{Project, ProjectContext};
use crate::goenv::{self, GoEnv};
use crate::goroot;
use crate::health::{self, Candidates, Settings, SumdbEndpoint, SumdbSupport, Verdicts};
use crate::process::Process;
use crate::realgo::{self, ExplicitSource, FindError, RealGo, SearchInput, SearchInputError};
use crate::router;

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

/// Why goshim cannot run go at all.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Input(#[from] SearchInputError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Find(#[from] FindError),
}

impl PlanError {
    /// [`Exit::Usage`] for unusable input, [`Exit::NoGo`] when there is no real go.
    pub fn exit(&self) -> Exit {
        match self {
            PlanError::Input(_) | PlanError::Config(_) => Exit::Usage,
            PlanError::Find(err) => err.exit(),
        }
    }
}

/// The names in `GOSHIM_MANAGED`: the go variables a goshim further up the process tree set.
/// Their values are goshim's, not the user's, so this goshim may recompute them.
pub fn managed(process: &Process) -> Vec<String> {
    process
        .var(GOSHIM_MANAGED)
        .map(|m| {
            m.split(',')
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// What the later steps work from: the real go, the configuration and go's own environment,
/// for the directory go runs in.
#[derive(Debug)]
pub struct Context {
    pub real: RealGo,
    pub loaded: Loaded,
    pub go_env: GoEnv,
    pub managed: Vec<String>,
    /// The directory goshim was started in (go reads its env files from there, before `-C`).
    pub cwd: PathBuf,
    /// Why the GOROOT of a go outside any GOROOT (a wrapper) could not be learned.
    pub goroot_error: Option<String>,
}

/// Steps 1–3 up to go's environment, for go running with `args`. `Ok(Err(real))`: goshim is
/// disabled (`GOSHIM_DISABLE=1`), only the real go was looked for.
pub fn context(process: &Process, args: &[String]) -> Result<Result<Context, RealGo>, PlanError> {
    let mut input = SearchInput::from_process(process)?;
    if process.is_true(GOSHIM_DISABLE) {
        return Ok(Err(realgo::find_real_go(&input)?));
    }
    let dir = goenv::project::parse_invocation(&input.cwd, args).dir;
    let loaded = load_config_in(process, &mut input, dir)?;
    let real = realgo::find_real_go(&input)?;
    let mut go_env = GoEnv::load(process.go_view(), Some(&real.path), &input.cwd);
    let mut goroot_error = None;
    if go_env.get("GOROOT").is_empty() {
        // A go outside any GOROOT: a version manager's wrapper. Ask it.
        let cache = health::cache::default_dir();
        match goroot::learn(process, &real.path, &input.cwd, cache.as_deref()) {
            Ok(goroot) => {
                go_env = GoEnv::load_with_goroot(process.go_view(), &goroot, &input.cwd);
            }
            Err(err) => goroot_error = Some(err.to_string()),
        }
    }
    Ok(Ok(Context {
        real,
        loaded,
        go_env,
        managed: managed(process),
        cwd: input.cwd,
        goroot_error,
    }))
}

/// What the caller does with the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// It can run the module router for go (the shim), or describes what the shim does
    /// (`explain`, `route`): a routed command probes nothing before go starts.
    Router,
    /// As [`Mode::Router`], but the verdicts are probed where the cache has none (`doctor`:
    /// the user asked for a diagnosis).
    Diagnose,
    /// Variables only (`goshim env`, and the shim when the router cannot start).
    Variables,
}

/// Gathers everything for running go with `args` from here, and decides.
pub fn plan(process: &Process, args: &[OsString], mode: Mode) -> Result<Plan, PlanError> {
    // go's own view of the arguments; anything that is not UTF-8 cannot be a flag go reads here.
    let argv: Vec<String> = args
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let ctx = match context(process, &argv)? {
        Ok(ctx) => ctx,
        Err(real) => {
            return Ok(Plan {
                real,
                loaded: None,
                decided: None,
                project_error: None,
            });
        }
    };
    let Context {
        real,
        loaded,
        go_env,
        managed,
        cwd,
        goroot_error,
    } = ctx;
    let go_version = go_version(&go_env);
    let project = goenv::project::inspect(
        &cwd,
        &argv,
        &ProjectContext {
            env: &go_env,
            go_version: &go_version,
            temp_dir: process.temp_dir(),
        },
    );
    let project = match project {
        Ok(project) => project,
        Err(err) => {
            let why = match goroot_error {
                Some(learn) => format!("{err} ({learn})"),
                None => err.to_string(),
            };
            return Ok(Plan {
                real,
                loaded: Some(loaded),
                decided: None,
                project_error: Some(why),
            });
        }
    };
    let network = goenv::command::may_reach_network(&project, &go_env, &go_version);
    let config = &loaded.config;
    let router = mode != Mode::Variables;
    let verdicts = if config.force_offline.value {
        // Offline by request: nothing is probed, nothing refreshed in the background.
        None
    } else if mode == Mode::Router && decide::routed(router, network, &go_env, &managed, config) {
        // The router ranks its upstreams by what the cache knows and learns as it serves.
        let request = probe_request(&go_env, &managed, config);
        Some(health::cached_verdicts(
            process,
            &request.candidates,
            &request.settings,
            SystemTime::now(),
        ))
    } else {
        decide::needs_verdicts(network, &go_env, &managed, config).then(|| {
            let request = probe_request(&go_env, &managed, config);
            health::verdicts(
                process,
                &request.candidates,
                &request.settings,
                SystemTime::now(),
            )
        })
    };
    let facts = project_facts(&project, &go_env, &go_version);
    let download_dir = download_dir(&go_env).map(|d| d.display().to_string());
    let decision = decide::decide(&Inputs {
        network,
        project: &facts,
        go_env: &go_env,
        managed: &managed,
        config,
        verdicts: verdicts.as_ref(),
        download_dir: download_dir.as_deref(),
        router,
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

/// What the health checks probe for a decision, and how.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    pub candidates: Candidates,
    pub settings: Settings,
}

/// The one step that chooses what to probe: the decision's candidates
/// ([`decide::candidates`]) with the `[health]` settings for this go. Used by the shim and by
/// `goshim probe` alike.
pub fn probe_request(go_env: &GoEnv, managed: &[String], config: &config::Config) -> ProbeRequest {
    let candidates = decide::candidates(go_env, managed, config);
    let probe = decide::probe_module(config, &candidates.private_patterns);
    ProbeRequest {
        settings: probe_settings(&config.health, go_env, &probe),
        candidates,
    }
}

/// The probe settings of a `[health]` table for go with this environment, probing with
/// `probe` (`path@version`, as [`decide::probe_module`] chose it; a value without `@` keeps
/// the default module); the connect timeout is the shorter of one second and `timeout`;
/// `.netrc` credentials are sent only when GOAUTH uses them (its default `netrc`; `off`
/// disables them).
pub fn probe_settings(h: &HealthConfig, go_env: &GoEnv, probe: &str) -> Settings {
    let (module, version) = probe
        .rsplit_once('@')
        .unwrap_or(("golang.org/x/text", "v0.3.0"));
    let timeout = h.timeout.value;
    Settings {
        probe_module: module.to_string(),
        probe_version: version.to_string(),
        connect_timeout: timeout.min(Duration::from_secs(1)),
        timeout,
        deadline: h.deadline.value,
        ttl: h.ttl.value,
        stale: h.stale.value,
        backoff_base: Duration::from_secs(30),
        backoff_max: Duration::from_secs(60 * 60),
        sumdbs: vec![
            SumdbEndpoint {
                name: "sum.golang.org".into(),
                url: "https://sum.golang.org".into(),
            },
            SumdbEndpoint {
                name: "sum.golang.google.cn".into(),
                url: "https://sum.golang.google.cn".into(),
            },
        ],
        netrc: goauth_uses_netrc(go_env.get("GOAUTH")),
    }
}

impl Default for Settings {
    /// The configuration's built-in defaults, for go with its default GOAUTH.
    fn default() -> Settings {
        let health = config::Config::default().health;
        probe_settings(
            &health,
            &GoEnv::from_sources(goenv::env::EnvSources::default()),
            &health.probe.value,
        )
    }
}

/// GOAUTH's default is `netrc`; `off` disables it; a list uses it only when it names it.
fn goauth_uses_netrc(goauth: &str) -> bool {
    goauth.is_empty()
        || goauth
            .split(';')
            .any(|c| c.split_whitespace().next() == Some("netrc"))
}

impl Plan {
    /// The module router's table, when the command is routed: the decision's routing with the
    /// `[router]` timings, go's GOAUTH, the go.sum files downloads are checked against, and
    /// how much goshim may say.
    pub fn router_table(&self) -> Option<router::Table> {
        let decided = self.decided.as_ref()?;
        let routing = decided.decision.routing.as_ref()?;
        let config = &self.loaded.as_ref()?.config;
        let go_env = &decided.go_env;
        let probe = decide::probe_module(config, &routing.private_patterns);
        let settings = probe_settings(&config.health, go_env, &probe);
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let upstream = |u: &decide::RankedUpstream| router::Upstream {
            url: u.url.clone(),
            sumdb: u
                .verdict
                .as_ref()
                .map_or(SumdbSupport::Unknown, |v| v.sumdb),
            seed: u.verdict.as_ref().and_then(|v| seed(v, &settings, now)),
        };
        let r = &config.router;
        let candidates = Candidates {
            proxies: Vec::new(),
            private_patterns: routing.private_patterns.clone(),
        };
        Some(router::Table {
            public: routing.public.iter().map(upstream).collect(),
            private: routing.private.iter().map(upstream).collect(),
            private_patterns: routing.private_patterns.clone(),
            nosumdb_patterns: routing.nosumdb_patterns.clone(),
            sumdb: routing
                .sumdb
                .clone()
                .or_else(|| routing.own_url_sumdb.clone()),
            go_sum: SumFiles::of(&decided.project),
            modcache: download_dir(go_env),
            offline: routing.offline,
            settings: router::RouterSettings {
                hedge_delay: r.hedge_delay.value,
                attempt_timeout: r.attempt_timeout.value,
                request_timeout: r.request_timeout.value,
                retries: r.retries.value,
            },
            netrc: settings.netrc,
            quiet: config.shim.quiet.value,
            debug: config.debug_log.value,
            progress: progress_lines(config.shim.quiet.value, config.debug_log.value),
            probe_label: health::probe::probe_label(&candidates, &settings),
        })
    }

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
    /// the final GOPRIVATE, and so on). Without a decision, go's own environment.
    pub fn final_go_env(&self, process: &Process) -> GoEnv {
        let mut env = process.go_view();
        let Some(decided) = &self.decided else {
            let cwd = process.cwd().map(Path::to_path_buf).unwrap_or_default();
            return GoEnv::load(env, Some(&self.real.path), &cwd);
        };
        for s in &decided.decision.set {
            env.insert(s.name.to_string(), s.value.clone());
        }
        // The GOROOT already found (derived, or learned from a wrapper); goshim never sets it.
        let goroot = decided.go_env.get("GOROOT");
        let dir = &decided.project.layout.invocation.dir;
        if goroot.is_empty() {
            GoEnv::load(env, Some(&self.real.path), dir)
        } else {
            GoEnv::load_with_goroot(env, Path::new(goroot), dir)
        }
    }

    /// Prints what goshim has to say before go runs, on stderr: with `GOSHIM_LOG=debug` the
    /// configuration and decision traces; unless quiet, the configuration notices and the
    /// decision's notice — but not notices a goshim further up the process tree already printed
    /// (`GOSHIM_NOTICES` holds their digest: a nested go from `go generate` or a test repeats
    /// nothing). Returns the digest of this plan's notices, for the go it runs.
    pub fn report(&self, process: &Process) -> Option<String> {
        let lines = self.report_lines();
        let notices: Vec<&str> = lines
            .iter()
            .filter(|(notice, _)| *notice)
            .map(|(_, l)| l.as_str())
            .collect();
        let digest = (!notices.is_empty()).then(|| notices_digest(&notices));
        let seen = digest.is_some() && process.var(GOSHIM_NOTICES) == digest.as_deref();
        for (notice, line) in &lines {
            if !(*notice && seen) {
                eprintln!("{}", crate::http::redact_text(line));
            }
        }
        digest
    }

    /// After falling back from the router to the variables: the new decision's trace and
    /// notice (the configuration's were printed already).
    pub fn report_decision(&self) {
        for (_, line) in self.decision_lines() {
            eprintln!("{}", crate::http::redact_text(&line));
        }
    }

    /// Everything [`Plan::report`] may print, in order; `true` marks a notice, `false` a debug
    /// trace line.
    fn report_lines(&self) -> Vec<(bool, String)> {
        let Some(loaded) = &self.loaded else {
            return Vec::new();
        };
        let debug = loaded.config.debug_log.value;
        let quiet = loaded.config.shim.quiet.value;
        let mut lines = Vec::new();
        if debug {
            lines.extend(loaded.trace().into_iter().map(|l| (false, l)));
        }
        let notices = if quiet {
            loaded.unsilenced_notices()
        } else {
            loaded.notices()
        };
        lines.extend(notices.into_iter().map(|l| (true, l)));
        if debug && let Some(err) = &self.project_error {
            lines.push((
                false,
                format!(
                    "goshim: debug: project not inspected, nothing decided (go reports it): {err}"
                ),
            ));
        }
        lines.extend(self.decision_lines());
        lines
    }

    /// The decision's part of [`Plan::report_lines`]: its trace and its notice.
    fn decision_lines(&self) -> Vec<(bool, String)> {
        let (Some(loaded), Some(decided)) = (&self.loaded, &self.decided) else {
            return Vec::new();
        };
        let mut lines = Vec::new();
        if loaded.config.debug_log.value {
            lines.extend(decided.trace().into_iter().map(|l| (false, l)));
        }
        if !loaded.config.shim.quiet.value
            && let Some(notice) = &decided.decision.notice
        {
            lines.push((true, notice.clone()));
        }
        lines
    }
}

/// A short digest of notice lines, to recognise them in a nested goshim.
fn notices_digest(lines: &[&str]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for l in lines {
        h.update(l.as_bytes());
        h.update([b'\n']);
    }
    crate::hex::hex(&h.finalize()[..8])
}

impl Decided {
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
                lines.push(crate::http::redact_text(&format!(
                    "goshim: debug: {verb} {}={} ({})",
                    s.name,
                    s.value,
                    s.reasons.join("; ")
                )));
            }
        }
        for w in &self.decision.warnings {
            lines.push(crate::http::redact_text(&format!(
                "goshim: debug: warning: {w}"
            )));
        }
        lines
    }
}

/// A cached verdict as the router's starting point: healthy (or reachable) with its latency,
/// or failing and left alone until its back-off ends. `None` for a verdict never observed.
fn seed(v: &health::Verdict, settings: &Settings, now: u64) -> Option<router::Seed> {
    let healthy = matches!(
        v.status,
        health::Status::Healthy | health::Status::Reachable
    );
    let failing = matches!(v.status, health::Status::Unhealthy);
    if !healthy && !failing {
        return None;
    }
    let until = v.checked_at + health::cache::backoff(settings, v.failures.max(1)).as_secs();
    Some(router::Seed {
        healthy,
        latency_ms: v.latency_ms,
        ejected_until: (failing && until > now).then_some(until),
    })
}

/// Whether the router prints progress lines for long downloads: while goshim's stderr is a
/// terminal (decided here, before the router starts) and goshim is not quiet, or always under
/// `GOSHIM_LOG=debug`. goshim prints no colour, so `NO_COLOR` asks nothing more of it.
fn progress_lines(quiet: bool, debug: bool) -> bool {
    use std::io::IsTerminal;
    debug || (!quiet && std::io::stderr().is_terminal())
}

/// `$GOMODCACHE/cache/download`, when GOMODCACHE is absolute (go refuses any other).
fn download_dir(go_env: &GoEnv) -> Option<PathBuf> {
    let modcache = Path::new(go_env.get("GOMODCACHE"));
    modcache
        .is_absolute()
        .then(|| modcache.join("cache").join("download"))
}

/// The real go's version without the `go` prefix (`1.27.3`), from `$GOROOT/VERSION`; empty
/// when unreadable (a development build).
fn go_version(go_env: &GoEnv) -> String {
    let text =
        crate::fsread::read_text_lossy(&Path::new(go_env.get("GOROOT")).join("VERSION"), 4096)
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

/// Loads the configuration for the working directory (nothing when `GOSHIM_DISABLE=1`) and
/// lets a `[shim] go` from the user or system config choose the real go when `GOSHIM_GO` does
/// not.
pub fn load_config(
    process: &Process,
    input: &mut SearchInput,
) -> Result<Option<Loaded>, ConfigError> {
    if process.is_true(GOSHIM_DISABLE) {
        return Ok(None);
    }
    let dir = input.cwd.clone();
    load_config_in(process, input, dir).map(Some)
}

/// Loads the configuration for the project directory `dir` (where go runs after `-C`).
fn load_config_in(
    process: &Process,
    input: &mut SearchInput,
    dir: PathBuf,
) -> Result<Loaded, ConfigError> {
    let loaded = config::load(&LoadInput::from_process(process, dir))?;
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
pub fn print_config_notices(loaded: &Loaded) {
    if loaded.config.debug_log.value {
        for line in loaded.trace() {
            eprintln!("{}", crate::http::redact_text(&line));
        }
    }
    let notices = if loaded.config.shim.quiet.value {
        loaded.unsilenced_notices()
    } else {
        loaded.notices()
    };
    for line in notices {
        eprintln!("{line}");
    }
}

#[cfg(test)]
mod tests;

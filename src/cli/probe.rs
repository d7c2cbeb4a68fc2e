//! `goshim probe`: probe the candidate proxies and checksum databases now, print a table (or
//! JSON), update the verdict cache.

use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use clap::Args;

use crate::config::{self, LoadInput};
use crate::env_vars::GOSHIM_PROBE_REQUEST;
use crate::exit::{self, Exit};
use crate::goenv::GoEnv;
use crate::health::cache::{RefreshRequest, Store};
use crate::health::{
    self, Candidate, Candidates, Settings, Status, SumdbEndpoint, Verdict, VerdictSource, Verdicts,
};
use crate::plan::{self, ProbeRequest};
use crate::process::Process;
use crate::realgo::{self, SearchInput};

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Refresh stale verdicts quietly (what the shim starts in the background).
    #[arg(long)]
    background: bool,
    /// Answer as the shim does: from the cache when it can, probing only what is missing.
    #[arg(long, conflicts_with = "background")]
    cached: bool,
    /// A proxy to probe (repeatable, in rank order); replaces GOPROXY and the defaults.
    #[arg(long = "candidate", value_name = "URL")]
    candidates: Vec<String>,
    /// A checksum database to probe as NAME=URL (repeatable); replaces sum.golang.org and
    /// sum.golang.google.cn.
    #[arg(long = "sumdb", value_name = "NAME=URL")]
    sumdbs: Vec<String>,
    /// The module asked for, as path@version.
    #[arg(long, value_name = "PATH@VERSION")]
    module: Option<String>,
    /// Total time per request, in milliseconds.
    #[arg(long, value_name = "MS")]
    timeout_ms: Option<u64>,
    /// Connect timeout per request, in milliseconds.
    #[arg(long, value_name = "MS")]
    connect_timeout_ms: Option<u64>,
    /// Deadline for the whole round, in milliseconds.
    #[arg(long, value_name = "MS")]
    deadline_ms: Option<u64>,
}

pub fn run(process: &Process, args: &ProbeArgs) -> ExitCode {
    let request = if args.background {
        process
            .var(GOSHIM_PROBE_REQUEST)
            .and_then(|j| serde_json::from_str::<RefreshRequest>(j).ok())
    } else {
        None
    };
    let (candidates, settings) = match request {
        Some(r) => (r.candidates, r.settings),
        None => match inputs(process, args) {
            Ok(v) => v,
            Err(msg) => return exit::fail(msg, Exit::Usage),
        },
    };
    let now = SystemTime::now();
    let store = Store::default_location(process);
    if args.background {
        // Quiet by design: the refresh runs detached, nobody reads its output.
        return match store.refresh(&candidates, &settings, now) {
            Ok(_) => ExitCode::SUCCESS,
            Err(_) => Exit::Problem.into(),
        };
    }
    let verdicts = if args.cached {
        health::verdicts(process, &candidates, &settings, now)
    } else {
        let round = store.probe_now(&candidates, &settings, now);
        Verdicts::from_round(&candidates, &settings, round, VerdictSource::Probed)
    };
    if args.json {
        match serde_json::to_string_pretty(&verdicts) {
            Ok(text) => println!("{text}"),
            Err(err) => return exit::fail(err, Exit::Problem),
        }
    } else {
        print!("{}", table(&verdicts));
    }
    if verdicts.best().is_some() {
        ExitCode::SUCCESS
    } else {
        Exit::Problem.into()
    }
}

/// The candidates and settings from the flags and the effective go environment.
fn inputs(process: &Process, args: &ProbeArgs) -> Result<(Candidates, Settings), String> {
    // Unlike a go command, a probe needs neither a real go (GOROOT's go.env is only read when
    // one is found) nor goshim enabled.
    let cwd = process.cwd().map_err(|e| e.to_string())?;
    let real_go = SearchInput::from_process(process)
        .ok()
        .and_then(|i| realgo::find_real_go(&i).ok())
        .map(|g| g.path);
    let env = GoEnv::load(process.go_view(), real_go.as_deref(), cwd);
    let loaded = config::load(&LoadInput::from_process(process, cwd.to_path_buf()))
        .map_err(|e| e.to_string())?;
    let ProbeRequest {
        mut candidates,
        mut settings,
    } = plan::probe_request(&env, &plan::managed(process), &loaded.config);
    if !args.candidates.is_empty() {
        candidates.proxies = args.candidates.iter().map(Candidate::new).collect();
    }
    if !args.sumdbs.is_empty() {
        settings.sumdbs = args
            .sumdbs
            .iter()
            .map(|s| {
                s.split_once('=')
                    .map(|(name, url)| SumdbEndpoint {
                        name: name.to_string(),
                        url: url.to_string(),
                    })
                    .ok_or_else(|| format!("--sumdb {s:?}: expected NAME=URL, e.g. sum.golang.org=https://sum.golang.org"))
            })
            .collect::<Result<_, _>>()?;
    }
    if let Some(m) = &args.module {
        let (path, version) = m.split_once('@').ok_or_else(|| {
            format!("--module {m:?}: expected PATH@VERSION, e.g. golang.org/x/text@v0.3.0")
        })?;
        settings.probe_module = path.to_string();
        settings.probe_version = version.to_string();
    }
    let ms = Duration::from_millis;
    if let Some(v) = args.timeout_ms {
        settings.timeout = ms(v);
    }
    if let Some(v) = args.connect_timeout_ms {
        settings.connect_timeout = ms(v);
    }
    if let Some(v) = args.deadline_ms {
        settings.deadline = ms(v);
    }
    Ok((candidates, settings))
}

fn table(v: &Verdicts) -> String {
    let mut rows = vec![
        ["CANDIDATE", "VERDICT", "LATENCY", "SUMDB", "REASON"]
            .map(String::from)
            .to_vec(),
    ];
    let row = |name: &str, v: &Verdict, sumdb: String| {
        vec![
            name.to_string(),
            v.status.to_string(),
            v.latency_ms.map_or("-".into(), |ms| format!("{ms} ms")),
            sumdb,
            v.reason.to_string(),
        ]
    };
    for (url, verdict) in &v.proxies {
        rows.push(row(url, verdict, verdict.sumdb.to_string()));
    }
    for (name, verdict) in &v.sumdbs {
        rows.push(row(&format!("{name} (direct)"), verdict, "-".into()));
    }
    let mut out = super::report::columns(&rows);
    let origin = match v.origin {
        VerdictSource::Cache => "from the cache",
        VerdictSource::Probed => "probed",
    };
    out.push_str(&format!(
        "decided in {:.2} ms ({origin})\n",
        v.elapsed_us as f64 / 1000.0
    ));
    if v.proxies.iter().all(|(_, v)| v.status != Status::Healthy) {
        out.push_str("no healthy candidate: go commands would fail or hang with these proxies\n");
    }
    out
}

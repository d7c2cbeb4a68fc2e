//! The decision tables' builder: one [`Case`] per row, its inputs and what it expects, so that
//! a row reads as one line. Defaults: a command that reaches the network, go's stock
//! environment, the default configuration in listed order, and the three default candidates
//! healthy (proxy.golang.org 30 ms, goproxy.cn 20 ms, goproxy.io 10 ms).

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Decision, Inputs, ProjectFacts, candidates, decide};
use crate::config::schema::{Offline, Order, SourcedList};
use crate::config::{Config, Origin, Sourced};
use crate::goenv::env::{EnvSources, GoEnv};
use crate::health::{Candidates, Reason, Status, SumdbSupport, Verdict, VerdictSource, Verdicts};

pub const PG: &str = "https://proxy.golang.org";
pub const CN: &str = "https://goproxy.cn";
pub const IO: &str = "https://goproxy.io";
/// A configured private proxy.
pub const ATHENS: &str = "https://athens.corp.example";
/// GOPROXY for the three default candidates, healthy, in listed order.
pub const LISTED: &str = "https://proxy.golang.org|https://goproxy.cn|https://goproxy.io|direct";
/// `$GOMODCACHE/cache/download` for the offline route.
const CACHE: &str = "/home/u/go/pkg/mod/cache/download";

pub fn verdict(
    status: Status,
    reason: Reason,
    latency: Option<u64>,
    sumdb: SumdbSupport,
) -> Verdict {
    Verdict {
        status,
        reason,
        latency_ms: latency,
        sumdb,
        checked_at: 1,
        failures: 0,
        probe: "golang.org/x/text@v0.3.0".into(),
    }
}

/// Answered in `ms`, and serves the checksum database.
pub fn healthy(ms: u64) -> Verdict {
    verdict(
        Status::Healthy,
        Reason::Answered,
        Some(ms),
        SumdbSupport::Supported,
    )
}

/// Answered in 10 ms; `sumdb` is its answer for `/sumdb/sum.golang.org/supported`.
pub fn serves(sumdb: SumdbSupport) -> Verdict {
    verdict(Status::Healthy, Reason::Answered, Some(10), sumdb)
}

/// A private proxy's answer: 404 for the public probe module, in 15 ms.
pub fn reachable() -> Verdict {
    verdict(
        Status::Reachable,
        Reason::NotFound { status: 404 },
        Some(15),
        SumdbSupport::NotSupported,
    )
}

/// Timed out waiting for the response.
pub fn down() -> Verdict {
    let timeout = Reason::Timeout {
        stage: "response".into(),
        ms: 1500,
    };
    verdict(Status::Unhealthy, timeout, None, SumdbSupport::Unknown)
}

/// Refused the connection.
pub fn refused() -> Verdict {
    verdict(
        Status::Unhealthy,
        Reason::Refused,
        None,
        SumdbSupport::Unknown,
    )
}

/// A configuration value from a file, as a trusted layer gives it.
pub fn file(value: &str) -> Sourced<String> {
    Sourced {
        value: value.to_string(),
        origin: Origin::File {
            path: PathBuf::from("/etc/goshim/config.toml"),
            line: 3,
        },
    }
}

fn list(items: &[&str]) -> SourcedList {
    Sourced {
        value: items.iter().map(|s| file(s)).collect(),
        origin: file("").origin,
    }
}

fn pairs(items: &[(&str, Verdict)]) -> Vec<(String, Verdict)> {
    items
        .iter()
        .map(|(u, v)| (u.to_string(), v.clone()))
        .collect()
}

/// What a row expects of the decision.
#[derive(Debug)]
enum Expect {
    /// The value goshim sets for the variable; `None`: it sets none.
    Value(&'static str, Option<&'static str>),
    Notice(Option<&'static str>),
    /// Whether some warning contains the text.
    Warning(&'static str, bool),
    /// Some warning starts with the text.
    WarningStart(&'static str),
    NoWarnings,
}

/// One decision scenario.
pub struct Case {
    name: &'static str,
    network: bool,
    process: Vec<(&'static str, &'static str)>,
    env_file: Vec<(&'static str, &'static str)>,
    managed: Vec<String>,
    config: Config,
    verdicts: Option<Verdicts>,
    project: ProjectFacts,
    router: bool,
    expect: Vec<Expect>,
}

impl Case {
    pub fn new(name: &'static str) -> Case {
        let mut config = Config::default();
        config.proxy.order.value = Order::Listed;
        Case {
            name,
            network: true,
            process: Vec::new(),
            env_file: Vec::new(),
            managed: Vec::new(),
            config,
            verdicts: Some(Verdicts {
                proxies: pairs(&[(PG, healthy(30)), (CN, healthy(20)), (IO, healthy(10))]),
                sumdbs: Vec::new(),
                origin: VerdictSource::Cache,
                refresh_started: false,
                elapsed_us: 0,
            }),
            project: ProjectFacts::default(),
            router: false,
            expect: Vec::new(),
        }
    }

    /// The caller runs the module router (the shim); without it, variables only (`goshim env`).
    pub fn routed(mut self) -> Case {
        self.router = true;
        self
    }

    // Inputs.

    /// The command does not reach the network.
    pub fn no_network(mut self) -> Case {
        self.network = false;
        self
    }

    /// A variable the user exported.
    pub fn user_env(mut self, name: &'static str, value: &'static str) -> Case {
        self.process.push((name, value));
        self
    }

    /// A variable in the user's go env file (`go env -w`).
    pub fn env_file(mut self, name: &'static str, value: &'static str) -> Case {
        self.env_file.push((name, value));
        self
    }

    /// A name a previous goshim exported (`GOSHIM_MANAGED`).
    pub fn managed(mut self, name: &str) -> Case {
        self.managed.push(name.to_string());
        self
    }

    pub fn respect_env(mut self, on: bool) -> Case {
        self.config.shim.respect_env.value = on;
        self
    }

    pub fn order(mut self, order: Order) -> Case {
        self.config.proxy.order.value = order;
        self
    }

    /// `proxy.direct`.
    pub fn direct(mut self, on: bool) -> Case {
        self.config.proxy.direct.value = on;
        self
    }

    /// `proxy.offline`.
    pub fn offline(mut self, route: Offline) -> Case {
        self.config.proxy.offline.value = route;
        self
    }

    /// `GOSHIM_OFFLINE=1`: offline by request, so nothing is probed.
    pub fn force_offline(mut self) -> Case {
        self.config.force_offline.value = true;
        self.verdicts = None;
        self
    }

    /// `proxy.candidates`.
    pub fn candidates(mut self, urls: &[&str]) -> Case {
        self.config.proxy.candidates = list(urls);
        self
    }

    /// `proxy.private`.
    pub fn private_proxy(mut self, url: &str) -> Case {
        self.config.proxy.private = list(&[url]);
        self
    }

    /// `modules.private`.
    pub fn private(mut self, patterns: &[&str]) -> Case {
        self.config.modules.private = list(patterns);
        self
    }

    /// `modules.no_proxy`.
    pub fn no_proxy(mut self, patterns: &[&str]) -> Case {
        self.config.modules.no_proxy = list(patterns);
        self
    }

    /// `modules.no_sumdb`.
    pub fn no_sumdb(mut self, patterns: &[&str]) -> Case {
        self.config.modules.no_sumdb = list(patterns);
        self
    }

    /// `sumdb.name`, from a trusted file.
    pub fn sumdb_name(mut self, name: &str) -> Case {
        self.config.sumdb.name = file(name);
        self
    }

    /// `health.probe`, from a trusted file.
    pub fn probe(mut self, module_version: &str) -> Case {
        self.config.health.probe = file(module_version);
        self
    }

    fn verdicts_mut(&mut self) -> &mut Verdicts {
        self.verdicts.get_or_insert_with(|| Verdicts {
            proxies: Vec::new(),
            sumdbs: Vec::new(),
            origin: VerdictSource::Cache,
            refresh_started: false,
            elapsed_us: 0,
        })
    }

    /// The proxies' verdicts, replacing the defaults: a candidate not named has none.
    pub fn verdicts(mut self, proxies: &[(&str, Verdict)]) -> Case {
        self.verdicts_mut().proxies = pairs(proxies);
        self
    }

    /// Nothing probed or cached.
    pub fn no_verdicts(mut self) -> Case {
        self.verdicts = None;
        self
    }

    /// One more proxy verdict.
    pub fn verdict(mut self, url: &str, v: Verdict) -> Case {
        self.verdicts_mut().proxies.push((url.to_string(), v));
        self
    }

    /// Exactly these candidates, with these verdicts.
    pub fn proxies(self, proxies: &[(&str, Verdict)]) -> Case {
        let urls: Vec<&str> = proxies.iter().map(|(u, _)| *u).collect();
        self.candidates(&urls).verdicts(proxies)
    }

    /// The checksum databases' verdicts.
    pub fn sumdbs(mut self, sumdbs: &[(&str, Verdict)]) -> Case {
        self.verdicts_mut().sumdbs = pairs(sumdbs);
        self
    }

    /// The project asks for a newer go that GOTOOLCHAIN may switch to.
    pub fn toolchain_switch(mut self, version: &str) -> Case {
        self.project.toolchain_switch = Some(version.to_string());
        self
    }

    /// A go.work is in effect.
    pub fn workspace(mut self) -> Case {
        self.project.workspace = true;
        self
    }

    /// The main modules' requirements.
    pub fn requires(mut self, paths: &[&str]) -> Case {
        self.project.requires = paths.iter().map(std::string::ToString::to_string).collect();
        self
    }

    // Expectations.

    /// goshim sets `name` to `value`.
    pub fn sets(mut self, name: &'static str, value: &'static str) -> Case {
        self.expect.push(Expect::Value(name, Some(value)));
        self
    }

    /// goshim leaves `name` as go would use it.
    pub fn keeps(mut self, name: &'static str) -> Case {
        self.expect.push(Expect::Value(name, None));
        self
    }

    /// What goshim sets for GOPRIVATE, GONOPROXY and GONOSUMDB (`None`: left alone).
    pub fn patterns(mut self, want: [Option<&'static str>; 3]) -> Case {
        for (name, value) in ["GOPRIVATE", "GONOPROXY", "GONOSUMDB"]
            .into_iter()
            .zip(want)
        {
            self.expect.push(Expect::Value(name, value));
        }
        self
    }

    /// The one stderr line.
    pub fn notice(mut self, line: &'static str) -> Case {
        self.expect.push(Expect::Notice(Some(line)));
        self
    }

    /// No stderr line.
    pub fn quiet(mut self) -> Case {
        self.expect.push(Expect::Notice(None));
        self
    }

    /// Some warning contains `text`.
    pub fn warns(mut self, text: &'static str) -> Case {
        self.expect.push(Expect::Warning(text, true));
        self
    }

    /// Some warning starts with `text`.
    pub fn warns_first(mut self, text: &'static str) -> Case {
        self.expect.push(Expect::WarningStart(text));
        self
    }

    /// No warning contains `text`.
    pub fn no_warning(mut self, text: &'static str) -> Case {
        self.expect.push(Expect::Warning(text, false));
        self
    }

    pub fn no_warnings(mut self) -> Case {
        self.expect.push(Expect::NoWarnings);
        self
    }

    /// go's environment for the case: the user's variables over the stock `$GOROOT/go.env`.
    pub fn go_env(&self) -> GoEnv {
        let process: HashMap<String, String> = self
            .process
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain([("HOME".to_string(), "/home/u".to_string())])
            .collect();
        let user_file = (!self.env_file.is_empty()).then(|| {
            let text: String = self
                .env_file
                .iter()
                .map(|(k, v)| format!("{k}={v}\n"))
                .collect();
            (PathBuf::from("/home/u/.config/go/env"), text)
        });
        GoEnv::from_sources(EnvSources {
            process,
            user_file,
            goroot: Some(PathBuf::from("/usr/local/go")),
            goroot_env: Some(
                "GOPROXY=https://proxy.golang.org,direct\nGOSUMDB=sum.golang.org\nGOTOOLCHAIN=auto\n"
                    .into(),
            ),
        })
    }

    /// What the health checks would probe for the case.
    pub fn probed(&self) -> Candidates {
        candidates(&self.go_env(), &self.managed, &self.config)
    }

    /// The decision, unchecked.
    pub fn run(&self) -> Decision {
        let env = self.go_env();
        decide(&Inputs {
            network: self.network,
            project: &self.project,
            go_env: &env,
            managed: &self.managed,
            config: &self.config,
            verdicts: self.verdicts.as_ref(),
            download_dir: Some(CACHE),
            router: self.router,
        })
    }

    /// The decision, with every expectation checked, and GOSUMDB never set to `off`. A failure
    /// points at the row.
    #[track_caller]
    pub fn check(&self) -> Decision {
        let d = self.run();
        let name = self.name;
        assert_ne!(d.get("GOSUMDB"), Some("off"), "{name}");
        for e in &self.expect {
            match *e {
                Expect::Value(var, want) => assert_eq!(d.get(var), want, "{name}: {var}"),
                Expect::Notice(want) => assert_eq!(d.notice.as_deref(), want, "{name}"),
                Expect::Warning(text, want) => assert_eq!(
                    d.warnings.iter().any(|w| w.contains(text)),
                    want,
                    "{name}: a warning with {text:?} in {:?}",
                    d.warnings
                ),
                Expect::WarningStart(text) => assert!(
                    d.warnings.iter().any(|w| w.starts_with(text)),
                    "{name}: a warning starting {text:?} in {:?}",
                    d.warnings
                ),
                Expect::NoWarnings => assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings),
            }
        }
        d
    }
}

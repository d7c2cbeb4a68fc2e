//! CI recipes (issue 13).
//!
//! The GitHub Actions recipe `shims/ci/github-actions.yml`, run step by step in a simulated
//! runner. Each `run:` script runs with bash as the runner runs it, with `$GITHUB_ENV` and
//! `$GITHUB_PATH` pointing at files that are applied between steps as the runner applies them;
//! `actions/setup-go` adds the real go to PATH as it does; the release download is served from
//! 127.0.0.1, so the recipe's own install step runs.
//!
//! The CI image: `shims/ci/install-goshim.sh` in a sandbox whose directories stand in for the
//! golang image's (`/usr/local/go/bin` is the real go's directory), with PATH in both orders and
//! a missing bin directory; `shims/ci/Dockerfile` read for the PATH it sets and the step that
//! runs the script, linted with hadolint. Docker itself does not run here.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;

use super::tools;
use crate::support::bounded::{self, Bounded};
use crate::support::modules::Module;
use crate::support::proxy::{Proxy, SumdbSupport};
use crate::support::{realgo, shim};

/// A hang fails the test instead of stalling it (a step may build with the real go).
const LIMIT: Duration = Duration::from_secs(120);

/// The module the fixture proxy serves and the workspace requires.
fn probe_module() -> Module {
    Module::new("example.com/probe", "v1.0.0").file("probe.go", "package probe\n")
}

/// A workflow file as JSON, read by ruamel.yaml (which check-jsonschema brings into .tools/py).
fn load_workflow(path: &Path) -> Value {
    let out = Command::new("python3")
        .env("PYTHONPATH", tools::python_dir())
        .args([
            "-c",
            "import json, sys\nfrom ruamel.yaml import YAML\n\
             print(json.dumps(YAML(typ='safe').load(open(sys.argv[1]))))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The steps of the workflow's only job.
fn recipe_steps() -> Vec<Value> {
    let workflow = load_workflow(&tools::repo().join("shims/ci/github-actions.yml"));
    let jobs = workflow["jobs"].as_object().expect("jobs");
    assert_eq!(jobs.len(), 1, "one example job");
    let job = jobs.values().next().unwrap();
    job["steps"].as_array().expect("steps").clone()
}

/// Files served over HTTP on 127.0.0.1 until dropped: the stand-in for a release's downloads.
struct Files {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Files {
    fn serve(dir: &Path) -> Files {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let dir = dir.to_path_buf();
        let stopped = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    answer(conn, &dir);
                }
            }
        });
        Files {
            url,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One GET: the file under `dir` at the request path, else 404.
fn answer(mut conn: TcpStream, dir: &Path) {
    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 16 * 1024 {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let text = String::from_utf8_lossy(&request);
    let path = text.split_whitespace().nth(1).unwrap_or("/");
    let file = dir.join(path.trim_start_matches('/'));
    let body = if path.contains("..") {
        None
    } else {
        std::fs::read(file).ok()
    };
    let head = match &body {
        Some(body) => format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
        None => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".into(),
    };
    let _ = conn.write_all(head.as_bytes());
    if let Some(body) = body {
        let _ = conn.write_all(&body);
    }
}

/// A GitHub-hosted runner, simulated: a workspace, a temp directory, the environment every step
/// starts from, and what earlier steps wrote to `$GITHUB_ENV` and `$GITHUB_PATH`.
struct Runner {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    workspace: PathBuf,
    temp: PathBuf,
    /// The runner's own environment (no go on PATH until setup-go).
    base: Vec<(String, String)>,
    /// `$GITHUB_PATH` directories, the latest first (the runner puts each new one in front).
    path_added: Vec<String>,
    /// `$GITHUB_ENV` variables.
    exported: BTreeMap<String, String>,
    /// The values of the `${{ … }}` expressions the steps use, for this event.
    expressions: Vec<(String, String)>,
    steps_run: usize,
}

impl Runner {
    fn new(expressions: &[(&str, &str)]) -> Runner {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        let workspace = root.join("work/app");
        let temp = root.join("runner-temp");
        for dir in [&home, &workspace, &temp] {
            std::fs::create_dir_all(dir).unwrap();
        }
        let mut base = realgo::hermetic_env(&home);
        for (k, v) in &mut base {
            if k == "PATH" {
                *v = "/usr/bin:/bin".into();
            }
        }
        for (k, v) in [
            ("CI", "true".to_string()),
            ("GITHUB_ACTIONS", "true".into()),
            ("RUNNER_OS", "Linux".into()),
            ("RUNNER_ARCH", "X64".into()),
            ("RUNNER_TEMP", temp.display().to_string()),
            ("GITHUB_WORKSPACE", workspace.display().to_string()),
        ] {
            base.push((k.into(), v));
        }
        Runner {
            _tmp: tmp,
            root,
            workspace,
            temp,
            base,
            path_added: Vec::new(),
            exported: BTreeMap::new(),
            expressions: expressions
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            steps_run: 0,
        }
    }

    /// `text` with every `${{ expression }}` replaced by its value for this event.
    fn evaluate(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            let end = rest[start..].find("}}").expect("unclosed ${{") + start;
            let expression = rest[start + 3..end].trim();
            let value = self
                .expressions
                .iter()
                .find(|(k, _)| k == expression)
                .unwrap_or_else(|| panic!("the test gives no value for ${{{{ {expression} }}}}"));
            out.push_str(&rest[..start]);
            out.push_str(&value.1);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// Adds a directory to PATH for later steps, as the runner does for a `$GITHUB_PATH` line.
    fn add_path(&mut self, dir: &str) {
        self.path_added.retain(|d| d != dir);
        self.path_added.insert(0, dir.to_string());
    }

    /// Runs one step; returns what a `run:` step printed (`uses:` steps print nothing).
    fn step(&mut self, step: &Value) -> Bounded {
        self.steps_run += 1;
        if let Some(action) = step.get("uses").and_then(Value::as_str) {
            return self.action(action);
        }
        let script = step["run"].as_str().expect("a step with run: or uses:");
        for key in step.as_object().unwrap().keys() {
            assert!(
                ["name", "run", "env", "id"].contains(&key.as_str()),
                "the simulated runner does not handle `{key}:` in {step}"
            );
        }
        let n = self.steps_run;
        let env_file = self.root.join(format!("github-env-{n}"));
        let path_file = self.root.join(format!("github-path-{n}"));
        let script_file = self.root.join(format!("step-{n}.sh"));
        std::fs::write(&env_file, "").unwrap();
        std::fs::write(&path_file, "").unwrap();
        std::fs::write(&script_file, self.evaluate(script)).unwrap();

        let mut env: BTreeMap<String, String> = self.base.iter().cloned().collect();
        env.extend(self.exported.clone());
        let mut path = self.path_added.clone();
        path.push(env["PATH"].clone());
        env.insert("PATH".into(), path.join(":"));
        if let Some(vars) = step.get("env").and_then(Value::as_object) {
            for (k, v) in vars {
                let value = match v {
                    Value::String(s) => self.evaluate(s),
                    other => other.to_string(),
                };
                env.insert(k.clone(), value);
            }
        }
        env.insert("GITHUB_ENV".into(), env_file.display().to_string());
        env.insert("GITHUB_PATH".into(), path_file.display().to_string());
        let vars: Vec<(String, String)> = env.into_iter().collect();
        // The runner's default for `run:` on Linux.
        let mut cmd = shim::command(&tools::system("bash", "bash"), &vars);
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail"])
            .arg(&script_file)
            .current_dir(&self.workspace);
        let r = bounded::run(&mut cmd, LIMIT);

        let written = std::fs::read_to_string(&path_file).unwrap();
        for dir in written.lines().filter(|l| !l.trim().is_empty()) {
            self.add_path(dir.trim());
        }
        let written = std::fs::read_to_string(&env_file).unwrap();
        for (k, v) in parse_github_env(&written) {
            self.exported.insert(k, v);
        }
        r
    }

    /// The actions the recipe uses, as they change the runner.
    fn action(&mut self, action: &str) -> Bounded {
        let (name, _version) = action.split_once('@').expect("action@version");
        match name {
            // The workspace is already checked out.
            "actions/checkout" => {}
            // setup-go adds its go's bin directory to PATH.
            "actions/setup-go" => {
                let dir = realgo::go().parent().unwrap().display().to_string();
                self.add_path(&dir);
            }
            other => panic!("the simulated runner does not know {other}"),
        }
        let mut nothing = Command::new("true");
        bounded::run(&mut nothing, LIMIT)
    }

    /// Runs the steps in order, as the runner does: it stops at the first failing one.
    fn run_all(&mut self, steps: &[Value]) -> Vec<Bounded> {
        let mut results = Vec::new();
        for step in steps {
            let r = self.step(step);
            let failed = r.code() != Some(0);
            results.push(r);
            if failed {
                break;
            }
        }
        results
    }
}

/// `$GITHUB_ENV` lines: `NAME=value`, or `NAME<<DELIMITER`, the value's lines, `DELIMITER`.
fn parse_github_env(text: &str) -> Vec<(String, String)> {
    let mut vars = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.is_empty() {
            continue;
        }
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delimiter {
                    break;
                }
                value.push(l);
            }
            vars.push((name.to_string(), value.join("\n")));
        } else {
            let (name, value) = line.split_once('=').expect("NAME=value");
            vars.push((name.to_string(), value.to_string()));
        }
    }
    vars
}

/// The recipe's release download, served from 127.0.0.1: the archive the install step asks
/// for on a Linux x86_64 runner (the goshim under test inside), with its SHA-256 file
/// (`checksum` replaces the right one when given).
fn release_server(version: &str, checksum: Option<&str>) -> (Files, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap();
    let name = format!("goshim-{version}-x86_64-unknown-linux-musl");
    let stage = tmp.path().join("stage");
    std::fs::create_dir_all(stage.join(&name)).unwrap();
    std::fs::copy(shim::binary(), stage.join(&name).join("goshim")).unwrap();
    let dir = tmp.path().join(format!("v{version}"));
    std::fs::create_dir_all(&dir).unwrap();
    let archive = dir.join(format!("{name}.tar.gz"));
    let status = Command::new("tar")
        .arg("-C")
        .arg(&stage)
        .arg("-czf")
        .arg(&archive)
        .arg(&name)
        .status()
        .unwrap();
    assert!(status.success());
    let sum = Command::new("shasum")
        .args(["-a", "256"])
        .arg(format!("{name}.tar.gz"))
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(sum.status.success());
    let line = match checksum {
        Some(hex) => format!("{hex}  {name}.tar.gz\n"),
        None => String::from_utf8(sum.stdout).unwrap(),
    };
    std::fs::write(dir.join(format!("{name}.tar.gz.sha256")), line).unwrap();
    (Files::serve(tmp.path()), tmp)
}

/// A Go project checked out in the workspace: it requires the fixture module (with its go.sum,
/// so no checksum database is asked), and its `.gomodrc` declares private modules — a setting
/// that applies only when the file is trusted. The runner's user config lists the fixture proxy.
fn checkout(runner: &Runner, proxy: &Proxy) {
    let files = [
        (
            "go.mod",
            "module example.com/app\n\ngo 1.22\n\nrequire example.com/probe v1.0.0\n".to_string(),
        ),
        ("go.sum", probe_module().go_sum()),
        (
            "main.go",
            "package main\n\nimport _ \"example.com/probe\"\n\nfunc main() {}\n".into(),
        ),
        (
            ".gomodrc",
            "[modules]\nprivate = [\"git.corp.example\"]\n".into(),
        ),
    ];
    for (name, text) in files {
        std::fs::write(runner.workspace.join(name), text).unwrap();
    }
    let config = runner.root.join("home/.config/goshim/config.toml");
    std::fs::create_dir_all(config.parent().unwrap()).unwrap();
    std::fs::write(
        config,
        format!(
            "[proxy]\ncandidates = [\"{}\"]\norder = \"listed\"\ndirect = false\n\n\
             [health]\nprobe = \"example.com/probe@v1.0.0\"\ntimeout = \"300ms\"\ndeadline = \"1s\"\n",
            proxy.url()
        ),
    )
    .unwrap();
}

/// The recipe's steps with the release downloads pointed at `files`.
fn recipe_served_by(files: &Files) -> Vec<Value> {
    let mut steps = recipe_steps();
    let install = steps
        .iter_mut()
        .find(|s| s["name"] == "Install goshim")
        .expect("an `Install goshim` step");
    let env = install["env"].as_object_mut().expect("its env:");
    assert_eq!(
        env["GOSHIM_RELEASES"],
        "https://github.com/goshim/goshim/releases/download"
    );
    // The recipe installs the release it documents: bumping the version bumps the recipe.
    assert_eq!(env["GOSHIM_VERSION"], env!("CARGO_PKG_VERSION"));
    env.insert("GOSHIM_RELEASES".into(), Value::String(files.url.clone()));
    steps
}

/// A step the test adds after the recipe's: what `go` is, and goshim's own decision there.
fn later_step() -> Value {
    serde_json::json!({
        "name": "look",
        "run": "echo \"go=$(command -v go)\"\n\
                echo \"goshim=$(command -v goshim)\"\n\
                echo \"trust=${GOSHIM_TRUST_ALL-unset}\"\n\
                goshim env --format json > \"$RUNNER_TEMP/later.json\"\n"
    })
}

fn line_after<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find_map(|l| l.strip_prefix(key))
        .unwrap_or_else(|| panic!("no {key} line in:\n{out}"))
}

/// The expression the recipe's trust setting uses, and its value on a push and on a pull
/// request from a fork.
const FORK: &str = "github.event.pull_request.head.repo.fork && '0' || '1'";

/// The whole recipe on a push: the install step downloads and checks the release, the route
/// step puts goshim's `go` first on PATH for every later step, the recipe's `go build` runs
/// through it (the fixture proxy serves the download), and a later step's goshim decides
/// exactly what `$GITHUB_ENV` carries — including the private modules of the trusted `.gomodrc`.
#[test]
fn github_actions_recipe_routes_every_later_step() {
    let proxy = Proxy::serving([probe_module()]);
    proxy.set_sumdb(SumdbSupport::Supported);
    let (files, _served) = release_server(env!("CARGO_PKG_VERSION"), None);
    let mut runner = Runner::new(&[(FORK, "1")]);
    checkout(&runner, &proxy);
    let mut steps = recipe_served_by(&files);
    steps.push(later_step());
    let results = runner.run_all(&steps);
    assert_eq!(results.len(), steps.len(), "a step failed");
    for (step, r) in steps.iter().zip(&results) {
        assert_eq!(r.code(), Some(0), "{step}: {}", r.show());
    }
    assert!(
        proxy.saw("/example.com/probe/@v/v1.0.0.zip"),
        "{:?}",
        proxy.paths()
    );

    let look = String::from_utf8_lossy(&results.last().unwrap().stdout).into_owned();
    let go = PathBuf::from(line_after(&look, "go="));
    assert_eq!(go, runner.temp.join("goshim-go/go"), "{look}");
    let goshim = PathBuf::from(line_after(&look, "goshim="));
    assert_eq!(goshim, runner.temp.join("goshim/goshim"), "{look}");
    assert_eq!(
        go.canonicalize().unwrap(),
        goshim.canonicalize().unwrap(),
        "`go` is not goshim"
    );
    assert_eq!(line_after(&look, "trust="), "1");

    let later: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(runner.temp.join("later.json")).unwrap()).unwrap();
    assert_eq!(
        later.get("GOPRIVATE").map(String::as_str),
        Some("git.corp.example")
    );
    assert!(later.contains_key("GOPROXY"), "{later:?}");
    for (k, v) in &later {
        assert_eq!(
            runner.exported.get(k),
            Some(v),
            "{k}: $GITHUB_ENV and a later step's goshim differ"
        );
    }
}

/// On a pull request from a fork, the same recipe trusts no `.gomodrc`: every later step gets
/// GOSHIM_TRUST_ALL=0 and decides, like the route step, without the file's private modules.
#[test]
fn github_actions_recipe_on_a_fork_trusts_no_gomodrc() {
    let proxy = Proxy::serving([probe_module()]);
    proxy.set_sumdb(SumdbSupport::Supported);
    let (files, _served) = release_server(env!("CARGO_PKG_VERSION"), None);
    let mut runner = Runner::new(&[(FORK, "0")]);
    checkout(&runner, &proxy);
    let mut steps = recipe_served_by(&files);
    steps.push(later_step());
    let results = runner.run_all(&steps);
    for (step, r) in steps.iter().zip(&results) {
        assert_eq!(r.code(), Some(0), "{step}: {}", r.show());
    }
    let look = String::from_utf8_lossy(&results.last().unwrap().stdout).into_owned();
    assert_eq!(line_after(&look, "trust="), "0");
    let later: BTreeMap<String, String> =
        serde_json::from_slice(&std::fs::read(runner.temp.join("later.json")).unwrap()).unwrap();
    assert_eq!(later.get("GOPRIVATE"), None, "{later:?}");
    assert_eq!(runner.exported.get("GOPRIVATE"), None);
    assert_eq!(runner.exported.get("GOPROXY"), later.get("GOPROXY"));
}

/// The order matters, as the recipe says: with setup-go after the goshim steps, setup-go's
/// directory comes first and later steps run the real go. (The runner image's own go, on PATH
/// from the start, is what goshim finds before setup-go runs.)
#[test]
fn github_actions_recipe_before_setup_go_is_bypassed() {
    let proxy = Proxy::serving([probe_module()]);
    proxy.set_sumdb(SumdbSupport::Supported);
    let (files, _served) = release_server(env!("CARGO_PKG_VERSION"), None);
    let mut runner = Runner::new(&[(FORK, "1")]);
    let image_go = realgo::go().parent().unwrap().display().to_string();
    for (k, v) in &mut runner.base {
        if k == "PATH" {
            *v = format!("{image_go}:{v}");
        }
    }
    checkout(&runner, &proxy);
    let mut steps = recipe_served_by(&files);
    let setup_go = steps
        .iter()
        .position(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/setup-go@"))
        })
        .expect("a setup-go step");
    let build = steps.pop().unwrap();
    let moved = steps.remove(setup_go);
    steps.push(moved);
    steps.push(build);
    steps.push(later_step());
    let results = runner.run_all(&steps);
    for (step, r) in steps.iter().zip(&results) {
        assert_eq!(r.code(), Some(0), "{step}: {}", r.show());
    }
    let look = String::from_utf8_lossy(&results.last().unwrap().stdout).into_owned();
    assert_eq!(Path::new(line_after(&look, "go=")), realgo::go(), "{look}");
}

/// The install step checks the download: a wrong SHA-256 stops the job there.
#[test]
fn github_actions_recipe_refuses_a_corrupt_download() {
    let (files, _served) = release_server(env!("CARGO_PKG_VERSION"), Some(&"0".repeat(64)));
    let mut runner = Runner::new(&[(FORK, "1")]);
    let steps = recipe_served_by(&files);
    let results = runner.run_all(&steps);
    let last = results.last().unwrap();
    assert_eq!(
        steps[results.len() - 1]["name"],
        "Install goshim",
        "{}",
        last.show()
    );
    assert_ne!(last.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&last.stdout).contains("FAILED"),
        "{}",
        last.show()
    );
    assert!(!runner.temp.join("goshim/goshim").exists());
}

/// The recipe is a valid workflow: GitHub's schema, and actionlint with shellcheck on its
/// scripts.
#[test]
fn github_actions_recipe_is_a_valid_workflow() {
    tools::lint_workflow(&tools::repo().join("shims/ci/github-actions.yml"));
}

#[test]
fn github_env_lines() {
    assert_eq!(
        parse_github_env("A=1\nB<<EOF\nx\ny\nEOF\n\nC=a=b\n"),
        [
            ("A".to_string(), "1".to_string()),
            ("B".into(), "x\ny".into()),
            ("C".into(), "a=b".into())
        ]
    );
}

/// The golang image's PATH (`ENV PATH` in the official golang Dockerfiles).
const GOLANG_IMAGE_PATH: &str =
    "/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// A sandbox standing in for an image's filesystem while it is built.
struct Image {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    /// What the system directories hold for the script: sh, mkdir, install (and no go).
    sysbin: PathBuf,
}

impl Image {
    fn new() -> Image {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("root");
        let sysbin = root.join("sysbin");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&sysbin).unwrap();
        for (tool, package) in [
            ("sh", "dash"),
            ("mkdir", "coreutils"),
            ("install", "coreutils"),
        ] {
            std::os::unix::fs::symlink(tools::system(tool, package), sysbin.join(tool)).unwrap();
        }
        Image {
            _tmp: tmp,
            root,
            home,
            sysbin,
        }
    }

    /// A directory of the image, in the sandbox: `/usr/local/go/bin` is the real go's
    /// directory, the system directories are `sysbin`, anything else is under the root.
    fn dir(&self, image_dir: &str) -> String {
        match image_dir {
            "/usr/local/go/bin" => realgo::go().parent().unwrap().display().to_string(),
            "/usr/sbin" | "/usr/bin" | "/sbin" | "/bin" => self.sysbin.display().to_string(),
            other => self
                .root
                .join(other.trim_start_matches('/'))
                .display()
                .to_string(),
        }
    }

    /// An image PATH with each directory mapped into the sandbox.
    fn path(&self, image_path: &str) -> String {
        let dirs: Vec<String> = image_path.split(':').map(|d| self.dir(d)).collect();
        dirs.join(":")
    }

    /// The environment of a build step (or a container) with this image PATH.
    fn env(&self, image_path: &str) -> Vec<(String, String)> {
        let mut env = realgo::hermetic_env(&self.home);
        env.retain(|(k, _)| k != "PATH");
        env.push(("PATH".into(), self.path(image_path)));
        env
    }

    /// `sh install-goshim.sh SRC` with GOSHIM_BINDIR set to that image directory in the
    /// sandbox (always: the script's default is the machine's own /usr/local/bin).
    fn install(&self, image_path: &str, bindir: &str, src: &Path) -> Bounded {
        let dir = self.dir(bindir);
        assert!(Path::new(&dir).starts_with(&self.root), "{dir}");
        let mut env = self.env(image_path);
        env.push(("GOSHIM_BINDIR".into(), dir));
        let script = tools::repo().join("shims/ci/install-goshim.sh");
        let mut cmd = shim::command(&self.sysbin.join("sh"), &env);
        cmd.arg(script).arg(src).current_dir(&self.home);
        bounded::run(&mut cmd, LIMIT)
    }
}

/// install-goshim.sh with PATH in both orders, a missing bin directory, goshim already in
/// place, and no real go.
#[test]
fn install_goshim_sh_checks_that_go_is_goshim() {
    let image = Image::new();
    let src = shim::binary();

    // The golang image's own PATH and the script's default /usr/local/bin: the real go comes
    // first, so goshim would be bypassed. The script says so and fails.
    let r = image.install(GOLANG_IMAGE_PATH, "/usr/local/bin", src);
    assert_eq!(r.code(), Some(1), "{}", r.show());
    let bindir = image.dir("/usr/local/bin");
    assert!(
        r.stderr_text().contains(&format!(
            "go on PATH is {}/go, not goshim",
            image.dir("/usr/local/go/bin")
        )),
        "{}",
        r.show()
    );
    assert!(
        r.stderr_text().contains(&format!("put {bindir} before")),
        "{}",
        r.show()
    );

    // Its own directory first on PATH, not there yet: created, goshim installed, go linked.
    let first = format!("/opt/goshim/bin:{GOLANG_IMAGE_PATH}");
    let bindir = image.dir("/opt/goshim/bin");
    assert!(!Path::new(&bindir).exists());
    let r = image.install(&first, "/opt/goshim/bin", src);
    assert_eq!(r.code(), Some(0), "{}", r.show());
    assert!(
        String::from_utf8_lossy(&r.stdout)
            .lines()
            .any(|l| Path::new(l) == realgo::go()),
        "`goshim which` names the real go: {}",
        r.show()
    );
    let installed = Path::new(&bindir).join("goshim");
    assert_eq!(
        std::fs::read(&installed).unwrap(),
        std::fs::read(src).unwrap()
    );
    assert_eq!(
        Path::new(&bindir).join("go").canonicalize().unwrap(),
        installed.canonicalize().unwrap()
    );
    // Nothing was probed, so no verdict is cached into the image.
    assert!(!image.home.join(".cache/goshim").exists());

    // Again, and with goshim already in place (copied there by the image): both fine.
    let r = image.install(&first, "/opt/goshim/bin", src);
    assert_eq!(r.code(), Some(0), "{}", r.show());
    let r = image.install(&first, "/opt/goshim/bin", &installed);
    assert_eq!(r.code(), Some(0), "{}", r.show());

    // No real go anywhere: goshim has nothing to run.
    let image = Image::new();
    let r = image.install("/opt/goshim/bin:/usr/bin:/bin", "/opt/goshim/bin", src);
    assert_ne!(r.code(), Some(0), "{}", r.show());
}

/// The final stage of shims/ci/Dockerfile, its continuation lines joined.
fn final_stage() -> Vec<String> {
    let text = std::fs::read_to_string(tools::repo().join("shims/ci/Dockerfile")).unwrap();
    let mut instructions: Vec<String> = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() && current.is_empty() {
            continue;
        }
        if let Some(part) = line.strip_suffix('\\') {
            current.push_str(part);
        } else {
            current.push_str(line);
            instructions.push(std::mem::take(&mut current));
        }
    }
    let last_from = instructions
        .iter()
        .rposition(|i| i.starts_with("FROM "))
        .expect("FROM");
    instructions.split_off(last_from)
}

/// The Dockerfile's final stage as built: PATH is set before install-goshim.sh runs (so its
/// check sees the image's PATH), goshim comes into the stage only through a build mount (one
/// copy in the image), and running the script with that PATH and bin directory in the
/// sandbox succeeds; a container's `go` then downloads through goshim with the image's trust
/// setting. hadolint finds nothing to say.
#[test]
fn dockerfile_puts_goshim_first_before_checking() {
    let stage = final_stage();
    assert_eq!(stage[0], "FROM golang:1-bookworm", "{stage:?}");
    let path_at = stage
        .iter()
        .position(|i| i.starts_with("ENV PATH="))
        .expect("ENV PATH=");
    let run_at = stage
        .iter()
        .position(|i| i.starts_with("RUN ") && i.contains("install-goshim.sh"))
        .expect("a RUN of install-goshim.sh");
    assert!(path_at < run_at, "PATH is set after the check: {stage:?}");
    assert!(
        !stage.iter().any(|i| i.starts_with("COPY")),
        "the final stage copies files in (a second goshim?): {stage:?}"
    );
    let image_path = stage[path_at]
        .strip_prefix("ENV PATH=")
        .unwrap()
        .replace("$PATH", GOLANG_IMAGE_PATH);
    let run = &stage[run_at];
    let bindir = run
        .split_whitespace()
        .find_map(|w| w.strip_prefix("GOSHIM_BINDIR="))
        .expect("GOSHIM_BINDIR=");
    assert!(
        run.contains("--mount=type=bind,from=build,source=/out/bin/goshim,target=/tmp/goshim"),
        "{run}"
    );
    assert!(
        run.ends_with("sh /tmp/install-goshim.sh /tmp/goshim"),
        "{run}"
    );

    let image = Image::new();
    let r = image.install(&image_path, bindir, shim::binary());
    assert_eq!(r.code(), Some(0), "{}", r.show());

    // A container: the image's PATH and ENV, a project, `go mod download`.
    let proxy = Proxy::serving([probe_module()]);
    proxy.set_sumdb(SumdbSupport::Supported);
    let mut env = image.env(&image_path);
    for instruction in &stage {
        if let Some(var) = instruction.strip_prefix("ENV ")
            && let Some((k, v)) = var.split_once('=')
            && k != "PATH"
        {
            env.push((k.into(), v.into()));
        }
    }
    assert!(env.contains(&("GOSHIM_TRUST_ALL".into(), "1".into())));
    let proj = image.root.join("src/app");
    std::fs::create_dir_all(&proj).unwrap();
    std::fs::write(
        proj.join("go.mod"),
        "module example.com/app\n\ngo 1.22\n\nrequire example.com/probe v1.0.0\n",
    )
    .unwrap();
    std::fs::write(proj.join("go.sum"), probe_module().go_sum()).unwrap();
    // The repository's .gomodrc names the proxy: it applies because the image trusts it.
    std::fs::write(
        proj.join(".gomodrc"),
        format!(
            "[proxy]\ncandidates = [\"{}\"]\norder = \"listed\"\ndirect = false\n\n\
             [health]\nprobe = \"example.com/probe@v1.0.0\"\ntimeout = \"300ms\"\ndeadline = \"1s\"\n",
            proxy.url()
        ),
    )
    .unwrap();
    let mut cmd = shim::command(&image.sysbin.join("sh"), &env);
    cmd.args(["-c", "go mod download example.com/probe"])
        .current_dir(&proj);
    let r = bounded::run(&mut cmd, LIMIT);
    assert_eq!(r.code(), Some(0), "{}", r.show());
    assert!(
        proxy.saw("/example.com/probe/@v/v1.0.0.zip"),
        "{:?}",
        proxy.paths()
    );

    let r = Command::new(tools::python_dir().join("bin/hadolint"))
        .arg(tools::repo().join("shims/ci/Dockerfile"))
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "hadolint:\n{}{}",
        String::from_utf8_lossy(&r.stdout),
        String::from_utf8_lossy(&r.stderr)
    );
}

/// The build context leaves out build output, the test tools and the git history (gigabytes
/// otherwise).
#[test]
fn dockerignore_keeps_the_context_small() {
    let text = std::fs::read_to_string(tools::repo().join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    for dir in ["target", ".tools", ".git"] {
        assert!(
            patterns.iter().any(|p| p.trim_end_matches('/') == dir),
            "{dir} is sent to docker: {patterns:?}"
        );
    }
}

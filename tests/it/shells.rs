//! The shells (issue 13): goshim's completion scripts and the activation snippets
//! `shims/activate.{bash,zsh,fish}` in the real bash, zsh and fish. Interactive sessions run in a
//! terminal that util-linux `script` gives them; the test types keys as a user does (Tab
//! included) and reads the screen. goshim is on PATH as a wrapper that logs every call, so a
//! test sees what starting a shell costs. A missing shell fails the test.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::tools;
use crate::support::bounded::{self, Bounded};
use crate::support::shim;

/// A hang fails the test instead of stalling it.
const LIMIT: Duration = Duration::from_secs(30);

/// The prompt every session sets, so the test knows when the shell waits for keys.
const PROMPT: &str = "READY> ";

/// The values of `goshim env --format`.
const FORMATS: [&str; 5] = ["direnv", "fish", "github", "json", "sh"];

/// A user's home with goshim on PATH: `bin/goshim` logs its arguments to `calls`, then runs the
/// binary under test.
struct User {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    home: PathBuf,
    calls: PathBuf,
    env: Vec<(String, String)>,
}

impl User {
    fn new() -> User {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let home = root.join("home");
        let bin = root.join("bin");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&bin).unwrap();
        let calls = root.join("calls");
        let wrapper = bin.join("goshim");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '{}'\nexec '{}' \"$@\"\n",
                calls.display(),
                shim::binary().display()
            ),
        )
        .unwrap();
        make_executable(&wrapper);
        let env = vec![
            ("PATH".into(), format!("{}:/usr/bin:/bin", bin.display())),
            ("HOME".into(), home.display().to_string()),
            (
                "XDG_DATA_HOME".into(),
                home.join(".local/share").display().to_string(),
            ),
            (
                "XDG_CONFIG_HOME".into(),
                home.join(".config").display().to_string(),
            ),
            (
                "XDG_CACHE_HOME".into(),
                home.join(".cache").display().to_string(),
            ),
            ("TERM".into(), "dumb".into()),
            ("LANG".into(), "C.UTF-8".into()),
        ];
        User {
            _tmp: tmp,
            root,
            home,
            calls,
            env,
        }
    }

    fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
    }

    fn get_env(&self, key: &str) -> &str {
        self.env
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }

    /// Where `goshim install` puts the `go` link for this user.
    fn data_bin(&self) -> PathBuf {
        self.home.join(".local/share/goshim/bin")
    }

    /// `goshim install`, run directly (not through the logging wrapper).
    fn install(&self) {
        let mut cmd = shim::command(shim::binary(), &self.env);
        let r = bounded::run(cmd.arg("install").current_dir(&self.home), LIMIT);
        assert_eq!(r.status.and_then(|s| s.code()), Some(0), "{}", r.show());
        assert!(self.data_bin().join("go").exists());
    }

    fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The goshim commands run so far, one line of arguments each.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.calls)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// `program args…` without a terminal, in the home directory.
    fn run(&self, program: &Path, args: &[&str]) -> Bounded {
        let mut cmd = shim::command(program, &self.env);
        cmd.args(args).current_dir(&self.home);
        bounded::run(&mut cmd, LIMIT)
    }
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A program in a terminal: util-linux `script` runs it on a pseudo-terminal and relays our
/// keys to it and its screen output to us.
struct Term {
    child: Child,
    keys: ChildStdin,
    screen: Arc<Mutex<Vec<u8>>>,
    /// How far [`Term::wait_for`] has read.
    seen: usize,
}

impl Term {
    /// Starts `command` (a `sh -c` line) in a terminal, in the user's environment and home.
    fn start(user: &User, command: &str) -> Term {
        let script = tools::system("script", "bsdutils");
        let mut cmd = shim::command(&script, &user.env);
        cmd.args(["-q", "-e", "-c", command, "/dev/null"])
            .current_dir(&user.home)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        let mut child = cmd.spawn().expect("start script(1)");
        let keys = child.stdin.take().unwrap();
        let screen = Arc::new(Mutex::new(Vec::new()));
        for pipe in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let screen = Arc::clone(&screen);
            std::thread::spawn(move || copy_into(pipe, &screen));
        }
        Term {
            child,
            keys,
            screen,
            seen: 0,
        }
    }

    fn send(&mut self, keys: &str) {
        self.keys.write_all(keys.as_bytes()).unwrap();
        self.keys.flush().unwrap();
    }

    /// Waits until the screen shows `needle` after what earlier waits read; returns the text
    /// from there up to `needle`, without terminal control sequences.
    fn wait_for(&mut self, needle: &str) -> String {
        let started = Instant::now();
        loop {
            {
                let screen = self.screen.lock().unwrap();
                if let Some(at) = find(&screen[self.seen..], needle.as_bytes()) {
                    let end = self.seen + at + needle.len();
                    let text = plain(&screen[self.seen..self.seen + at]);
                    self.seen = end;
                    return text;
                }
                assert!(
                    started.elapsed() <= LIMIT,
                    "waited {LIMIT:?} for {needle:?}; the terminal showed:\n{}",
                    plain(&screen)
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits (bounded) for the program to end; returns the whole screen as it came, control
    /// sequences included.
    fn finish(mut self) -> Vec<u8> {
        let started = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                started.elapsed() <= LIMIT,
                "still running after {LIMIT:?}; the terminal showed:\n{}",
                plain(&self.screen.lock().unwrap())
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The relay threads may still hold the last bytes for a moment.
        std::thread::sleep(Duration::from_millis(100));
        self.screen.lock().unwrap().clone()
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            // The group id is the child's pid: this ends script and the shell it started.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", self.child.id())])
                .status();
            let _ = self.child.wait();
        }
    }
}

fn copy_into(mut pipe: Box<dyn Read + Send>, screen: &Mutex<Vec<u8>>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buf) {
        if n == 0 {
            break;
        }
        screen.lock().unwrap().extend_from_slice(&buf[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Terminal output as text: escape sequences, bells, backspaces and carriage returns removed.
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.next() {
                // CSI: parameters, then one final byte in @..~.
                Some('[') => {
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                // OSC: up to BEL or ESC \.
                Some(']') => {
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' | '\u{7}' | '\u{8}' => {}
            _ => out.push(c),
        }
    }
    out
}

/// The descriptions `goshim env --help` gives the `--format` values.
fn format_help() -> Vec<(String, String)> {
    let out = Command::new(shim::binary())
        .args(["env", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let values: Vec<(String, String)> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- "))
        .filter_map(|l| l.split_once(':'))
        .map(|(v, d)| (v.to_string(), d.trim().to_string()))
        .collect();
    let names: BTreeSet<&str> = values.iter().map(|(v, _)| v.as_str()).collect();
    assert_eq!(names, BTreeSet::from(FORMATS), "{text}");
    values
}

/// Checks completion candidates shown as `value<sep>description` lines: exactly the five
/// formats, each with its description from `--help` (zsh cuts long ones at the screen edge).
fn assert_described_formats(listing: &str, sep: &str) {
    let mut shown = BTreeSet::new();
    for (value, description) in listing.lines().filter_map(|l| l.split_once(sep)) {
        let value = value.trim();
        let description = description.trim();
        let (_, want) = format_help()
            .into_iter()
            .find(|(v, _)| v == value)
            .unwrap_or_else(|| panic!("{value:?} is no --format value:\n{listing}"));
        assert!(
            !description.is_empty() && want.starts_with(description),
            "{value}: shown {description:?}, --help says {want:?}:\n{listing}"
        );
        assert!(shown.insert(value.to_string()), "{value} twice:\n{listing}");
    }
    assert_eq!(
        shown,
        BTreeSet::from(FORMATS.map(String::from)),
        "{listing}"
    );
}

/// Asserts `startup` (what the shell printed before its first prompt) is empty: no error from
/// the snippet or the completion script.
fn assert_quiet_start(startup: &str) {
    assert!(
        startup.trim().is_empty(),
        "the shell printed this while starting:\n{startup}"
    );
}

fn snippet(shell: &str) -> PathBuf {
    tools::repo().join(format!("shims/activate.{shell}"))
}

/// bash, interactive, `source activate.bash` in its rc file: starting the shell runs no goshim;
/// Tab Tab after `--format` loads the completion and lists the five formats; PATH starts with
/// goshim's bin directory.
#[test]
fn bash_activation_in_a_terminal() {
    let user = User::new();
    user.install();
    let rc = user.write(
        "bashrc",
        &format!("PS1='{PROMPT}'\nsource '{}'\n", snippet("bash").display()),
    );
    let bash = tools::system("bash", "bash");
    let mut term = Term::start(
        &user,
        &format!(
            "{} --noprofile --rcfile {} -i",
            bash.display(),
            rc.display()
        ),
    );
    assert_quiet_start(&term.wait_for(PROMPT));
    assert_eq!(
        user.calls(),
        Vec::<String>::new(),
        "starting bash ran goshim"
    );
    term.send("goshim env --format \t\t");
    term.send("\u{15}echo \"end-$((6*7))\"\n");
    let listing = term.wait_for("end-42");
    assert!(
        listing.lines().any(|l| {
            let words: BTreeSet<&str> = l.split_whitespace().collect();
            words == BTreeSet::from(FORMATS)
        }),
        "Tab Tab did not list the formats:\n{listing}"
    );
    term.send("echo \"path=$PATH\"; echo \"go=$(command -v go)\"\n");
    let go = term.wait_for("go=/");
    term.send("exit\n");
    let screen = plain(&term.finish());
    assert!(go.contains("path="), "{screen}");
    let data_bin = user.data_bin().display().to_string();
    assert!(
        screen.contains(&format!("path={data_bin}:{}\n", user.get_env("PATH"))),
        "{screen}"
    );
    assert!(screen.contains(&format!("go={data_bin}/go\n")), "{screen}");
    assert_eq!(user.calls(), ["completions bash"]);
}

/// zsh, interactive, `source activate.zsh` before compinit (as most ~/.zshrc files are laid
/// out) or after it: starting the shell runs no goshim; Tab after `--format` loads the
/// completion and lists the five formats with their descriptions, once each.
fn zsh_session(activate_first: bool) {
    let user = User::new();
    user.install();
    let activate = format!("source '{}'\n", snippet("zsh").display());
    let compinit = format!(
        "autoload -Uz compinit && compinit -u -d '{}'\n",
        user.root.join("zcompdump").display()
    );
    let mut rc = format!("PS1='{PROMPT}'\nunsetopt PROMPT_SP\n");
    if activate_first {
        rc += &activate;
        rc += &compinit;
    } else {
        rc += &compinit;
        rc += &activate;
    }
    let zdotdir = user.root.join("zdotdir");
    user.write("zdotdir/.zshrc", &rc);
    let mut user = user;
    user.set_env("ZDOTDIR", &zdotdir.display().to_string());
    let zsh = tools::system("zsh", "zsh");
    let mut term = Term::start(&user, &format!("{} -i", zsh.display()));
    assert_quiet_start(&term.wait_for(PROMPT));
    assert_eq!(
        user.calls(),
        Vec::<String>::new(),
        "starting zsh ran goshim"
    );
    // Twice: the first Tab loads the completion, the second uses it as loaded.
    for _ in 0..2 {
        term.send("goshim env --format \t");
        term.send("\u{15}echo end-$((6*7))\n");
        let listing = term.wait_for("end-42");
        assert_described_formats(&listing, " -- ");
    }
    term.send("print -r -- \"path=$PATH\"; print -r -- \"go=$(whence -p go)\"\n");
    term.wait_for("go=/");
    term.send("exit\n");
    assert_goshim_first(&user, &plain(&term.finish()));
    assert_eq!(user.calls(), ["completions zsh"]);
}

/// The session printed `path=…` with goshim's bin directory first and `go=…` resolving there.
fn assert_goshim_first(user: &User, screen: &str) {
    let data_bin = user.data_bin().display().to_string();
    let bin = user.root.join("bin").display().to_string();
    assert!(
        screen.contains(&format!("path={data_bin}:{bin}:/usr/bin:/bin\n")),
        "{screen}"
    );
    assert!(screen.contains(&format!("go={data_bin}/go\n")), "{screen}");
}

#[test]
fn zsh_activation_before_compinit() {
    zsh_session(true);
}

#[test]
fn zsh_activation_after_compinit() {
    zsh_session(false);
}

/// fish, interactive, `source activate.fish` in config.fish: fish starts without a word (the
/// completion script loads cleanly and runs nothing), completes the five formats with their
/// descriptions, and PATH starts with goshim's bin directory.
#[test]
fn fish_activation_in_a_terminal() {
    let user = User::new();
    user.install();
    user.write(
        "home/.config/fish/config.fish",
        &format!(
            "function fish_prompt; echo -n '{PROMPT}'; end\nfunction fish_greeting; end\nsource '{}'\n",
            snippet("fish").display()
        ),
    );
    let fish = tools::system("fish", "fish");
    let mut term = Term::start(&user, &format!("{} -i", fish.display()));
    assert_quiet_start(&term.wait_for(PROMPT));
    term.send("complete -C 'goshim env --format '; echo end-(math 6 \\* 7)\n");
    let listing = term.wait_for("end-42");
    assert_described_formats(&listing, "\t");
    term.send("echo path=(string join : $PATH); echo go=(command -s go)\n");
    term.wait_for("go=/");
    term.send("exit\n");
    assert_goshim_first(&user, &plain(&term.finish()));
    assert_eq!(user.calls(), ["completions fish"]);
}

/// Sourced outside an interactive shell (a script, `bash -c`, fish's config.fish read by
/// `fish -c`), each snippet runs no goshim at all, prints nothing, and moves goshim's bin
/// directory to the front of PATH once however often it is sourced.
#[test]
fn activation_in_scripts_runs_no_goshim() {
    let mut user = User::new();
    user.install();
    let data_bin = user.data_bin().display().to_string();
    let bin = user.root.join("bin").display().to_string();
    // Already on PATH, but late: moved to the front, not added twice.
    user.set_env("PATH", &format!("{bin}:/usr/bin:{data_bin}:/bin"));
    let want = format!("{data_bin}:{bin}:/usr/bin:/bin\n{data_bin}/go\n");
    let cases = [
        (
            "bash",
            "source \"$1\"; source \"$1\"; echo \"$PATH\"; command -v go",
        ),
        (
            "zsh",
            "source \"$1\"; source \"$1\"; print -r -- \"$PATH\"; whence -p go",
        ),
        (
            "fish",
            "source $argv[1]; source $argv[1]; string join : $PATH; command -s go",
        ),
    ];
    for (shell, script) in cases {
        let program = tools::system(shell, shell);
        let path = snippet(shell).display().to_string();
        let args: Vec<&str> = match shell {
            "bash" => vec!["--norc", "--noprofile", "-c", script, "bash", &path],
            "zsh" => vec!["-f", "-c", script, "zsh", &path],
            _ => vec!["--no-config", "-c", script, &path],
        };
        let r = user.run(&program, &args);
        assert_eq!(
            r.status.and_then(|s| s.code()),
            Some(0),
            "{shell}: {}",
            r.show()
        );
        assert_eq!(
            String::from_utf8_lossy(&r.stdout),
            want,
            "{shell}: {}",
            r.show()
        );
        assert_eq!(r.stderr_text(), "", "{shell}");
    }
    assert_eq!(user.calls(), Vec::<String>::new());
}

/// The bin directory each snippet picks: `$XDG_DATA_HOME/goshim/bin` when that is absolute,
/// else `~/.local/share/goshim/bin`, and `~/Library/Application Support/goshim/bin` on macOS —
/// the directories `goshim install` links into there.
#[test]
fn activation_follows_the_data_directory() {
    let mut user = User::new();
    let home = user.home.display().to_string();
    // A `uname` that says macOS, for fish (bash and zsh read OSTYPE).
    let mac = user.root.join("mac");
    std::fs::create_dir_all(&mac).unwrap();
    std::fs::write(mac.join("uname"), "#!/bin/sh\necho Darwin\n").unwrap();
    make_executable(&mac.join("uname"));
    let xdg = format!("{home}/xdg");
    let default = format!("{home}/.local/share/goshim/bin");
    let macos = format!("{home}/Library/Application Support/goshim/bin");
    for dir in [format!("{xdg}/goshim/bin"), default.clone(), macos.clone()] {
        std::fs::create_dir_all(dir).unwrap();
    }
    let path = user.get_env("PATH").to_string();
    // (XDG_DATA_HOME, macOS?, expected first PATH entry)
    let cases = [
        (xdg.as_str(), false, format!("{xdg}/goshim/bin")),
        ("relative/share", false, default.clone()),
        ("", false, default),
        (xdg.as_str(), true, macos),
    ];
    for (data_home, on_mac, want) in cases {
        user.set_env("XDG_DATA_HOME", data_home);
        let search = if on_mac {
            format!("{}:{path}", mac.display())
        } else {
            path.clone()
        };
        user.set_env("PATH", &search);
        for shell in ["bash", "zsh", "fish"] {
            let program = tools::system(shell, shell);
            let file = snippet(shell).display().to_string();
            let ostype = if on_mac { "darwin23" } else { "linux-gnu" };
            let bash_script = format!("OSTYPE={ostype}; source \"$1\"; echo \"$PATH\"");
            let zsh_script = format!("OSTYPE={ostype}; source \"$1\"; print -r -- \"$PATH\"");
            let args: Vec<&str> = match shell {
                "bash" => vec!["--norc", "--noprofile", "-c", &bash_script, "bash", &file],
                "zsh" => vec!["-f", "-c", &zsh_script, "zsh", &file],
                _ => vec![
                    "--no-config",
                    "-c",
                    "source $argv[1]; string join : $PATH",
                    &file,
                ],
            };
            let r = user.run(&program, &args);
            assert_eq!(
                r.status.and_then(|s| s.code()),
                Some(0),
                "{shell}: {}",
                r.show()
            );
            let out = String::from_utf8_lossy(&r.stdout);
            assert_eq!(
                out.split(':').next(),
                Some(want.as_str()),
                "{shell}, XDG_DATA_HOME={data_home:?}, macOS {on_mac}: {}",
                r.show()
            );
        }
    }
}

/// The completion scripts as users install them by hand (`goshim completions SHELL >` the
/// shell's completion directory), loaded by the shell itself: fish's completions directory and
/// zsh's fpath. Every script also parses in its shell.
#[test]
fn completion_scripts_installed_as_files() {
    let mut user = User::new();
    let script = |shell: &str| {
        let r = user.run(shim::binary(), &["completions", shell]);
        assert_eq!(r.status.and_then(|s| s.code()), Some(0), "{}", r.show());
        String::from_utf8(r.stdout).unwrap()
    };
    let fish_file = user.write("home/.config/fish/completions/goshim.fish", &script("fish"));
    let zsh_file = user.write("zfunctions/_goshim", &script("zsh"));
    let bash_file = user.write("bash/goshim", &script("bash"));
    let zsh = tools::system("zsh", "zsh");
    let fish = tools::system("fish", "fish");
    let bash = tools::system("bash", "bash");
    for (program, args) in [
        (&bash, vec!["-n", bash_file.to_str().unwrap()]),
        (&zsh, vec!["-n", zsh_file.to_str().unwrap()]),
        (&fish, vec!["--no-execute", fish_file.to_str().unwrap()]),
    ] {
        let r = user.run(program, &args);
        assert_eq!(r.status.and_then(|s| s.code()), Some(0), "{}", r.show());
        assert_eq!(r.stderr_text(), "", "{}", program.display());
    }

    // fish autoloads ~/.config/fish/completions/goshim.fish on the first completion.
    let r = user.run(&fish, &["-c", "complete -C 'goshim env --format '"]);
    assert_eq!(r.status.and_then(|s| s.code()), Some(0), "{}", r.show());
    assert_eq!(r.stderr_text(), "");
    assert_described_formats(&String::from_utf8_lossy(&r.stdout), "\t");

    // zsh: the script is an fpath function file (`#compdef goshim`) that compinit finds.
    let zdotdir = user.root.join("zdotdir");
    user.write(
        "zdotdir/.zshrc",
        &format!(
            "PS1='{PROMPT}'\nunsetopt PROMPT_SP\nfpath=('{}' $fpath)\nautoload -Uz compinit && compinit -u -d '{}'\n",
            zsh_file.parent().unwrap().display(),
            user.root.join("zcompdump").display()
        ),
    );
    user.set_env("ZDOTDIR", &zdotdir.display().to_string());
    let mut term = Term::start(&user, &format!("{} -i", zsh.display()));
    assert_quiet_start(&term.wait_for(PROMPT));
    term.send("goshim env --format \t");
    term.send("\u{15}echo end-$((6*7))\n");
    assert_described_formats(&term.wait_for("end-42"), " -- ");
    term.send("exit\n");
    term.finish();
    assert_eq!(user.calls(), Vec::<String>::new());
}

/// No colour, ever: on a terminal clap would colour help and errors; goshim prints plain text
/// there too, as go does, even when the environment asks for colour.
#[test]
fn no_colour_in_a_terminal() {
    let mut user = User::new();
    user.set_env("TERM", "xterm-256color");
    user.set_env("CLICOLOR_FORCE", "1");
    for (args, shows) in [
        ("--help", "Usage:"),
        ("env --help", "Possible values:"),
        ("nosuchcommand", "error: unrecognized subcommand"),
        ("env --format nope", "error: invalid value 'nope'"),
    ] {
        let term = Term::start(&user, &format!("'{}' {args}", shim::binary().display()));
        let screen = term.finish();
        let text = String::from_utf8_lossy(&screen);
        assert!(text.contains(shows), "goshim {args}:\n{text}");
        assert!(!screen.contains(&0x1b), "goshim {args} coloured:\n{text:?}");
    }
}

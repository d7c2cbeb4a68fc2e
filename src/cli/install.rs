//! `goshim install` / `goshim uninstall`: the `go` link in a bin directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::env_vars::{PATH, SHELL};
use crate::exit::{self, Exit};
use crate::process::Process;
use crate::realgo::{self, SearchInput};

/// The default bin directory: `<user data dir>/goshim/bin` (`~/.local/share/goshim/bin` on Linux).
pub fn default_dir() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.data_local_dir().join("goshim").join("bin"))
}

fn link_name() -> &'static str {
    if cfg!(windows) { "go.exe" } else { "go" }
}

/// What is at the link's place now.
#[derive(Debug, PartialEq, Eq)]
enum Existing {
    Nothing,
    /// A link (or hard link) to this goshim.
    ThisShim,
    /// A symlink whose target is gone or is not a go at all.
    StaleLink(PathBuf),
    /// Some other file: most likely a real go.
    OtherFile,
}

fn existing(link: &Path, me: &Path) -> Existing {
    let Ok(meta) = std::fs::symlink_metadata(link) else {
        return Existing::Nothing;
    };
    if realgo::same_file(link, me) {
        return Existing::ThisShim;
    }
    if meta.file_type().is_symlink() {
        let target = std::fs::read_link(link).unwrap_or_default();
        if !link.exists() {
            return Existing::StaleLink(target);
        }
        let name = link
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        if name.starts_with("goshim") {
            return Existing::StaleLink(target);
        }
    }
    Existing::OtherFile
}

pub fn install(process: &Process, dir: Option<PathBuf>, force: bool) -> ExitCode {
    let Some(dir) = dir.or_else(default_dir) else {
        return fail("cannot find the user data directory; pass --dir DIR");
    };
    let me = match running_binary(process) {
        Ok(me) => me,
        Err(err) => return fail(&err),
    };
    if let Err(err) = std::fs::create_dir_all(&dir) {
        return fail(&format!("cannot create {}: {err}", dir.display()));
    }
    let link = dir.join(link_name());
    match existing(&link, &me) {
        Existing::ThisShim => eprintln!("goshim: {} already links to goshim", link.display()),
        Existing::OtherFile => {
            return fail(&format!(
                "{} exists and is not goshim (a real go?); not overwriting it — move it away or \
                 install into another directory with --dir",
                link.display()
            ));
        }
        Existing::StaleLink(target) if !force => {
            return fail(&format!(
                "{} is a link to {}, which is not this goshim; rerun with --force to replace it",
                link.display(),
                target.display()
            ));
        }
        found => {
            if found != Existing::Nothing
                && let Err(err) = std::fs::remove_file(&link)
            {
                return fail(&format!("cannot replace {}: {err}", link.display()));
            }
            if let Err(err) = make_link(&me, &link) {
                return fail(&format!("cannot create {}: {err}", link.display()));
            }
            eprintln!("goshim: linked {} -> {}", link.display(), me.display());
        }
    }
    warn_about_path_order(process, &dir);
    eprintln!("goshim: add this line to your shell's startup file:");
    println!("{}", shell_line(process, &dir));
    ExitCode::SUCCESS
}

pub fn uninstall(process: &Process, dir: Option<PathBuf>) -> ExitCode {
    let Some(dir) = dir.or_else(default_dir) else {
        return fail("cannot find the user data directory; pass --dir DIR");
    };
    let me = match running_binary(process) {
        Ok(me) => me,
        Err(err) => return fail(&err),
    };
    let link = dir.join(link_name());
    match existing(&link, &me) {
        Existing::Nothing => {
            eprintln!("goshim: nothing to remove at {}", link.display());
            ExitCode::SUCCESS
        }
        Existing::OtherFile => fail(&format!(
            "{} is not goshim; leaving it alone",
            link.display()
        )),
        Existing::ThisShim | Existing::StaleLink(_) => match std::fs::remove_file(&link) {
            Ok(()) => {
                eprintln!("goshim: removed {}", link.display());
                ExitCode::SUCCESS
            }
            Err(err) => fail(&format!("cannot remove {}: {err}", link.display())),
        },
    }
}

#[cfg(unix)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn make_link(target: &Path, link: &Path) -> std::io::Result<()> {
    std::fs::hard_link(target, link).or_else(|_| std::fs::copy(target, link).map(|_| ()))
}

/// The line that puts `dir` first on PATH, for the user's shell (`$SHELL`).
fn shell_line(process: &Process, dir: &Path) -> String {
    let shell = process.var(SHELL).unwrap_or_default();
    let shell = Path::new(&shell)
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match shell.as_str() {
        "fish" => format!("fish_add_path --prepend --path '{}'", dir.display()),
        _ => format!("export PATH=\"{}:$PATH\"", dir.display()),
    }
}

/// Warns when `dir` is missing from PATH or comes after the directory of the real go.
fn warn_about_path_order(process: &Process, dir: &Path) {
    let Some(path) = process.var_os(PATH) else {
        return;
    };
    let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
    let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let mine = canon(dir);
    let Some(pos) = dirs.iter().position(|d| canon(d) == mine) else {
        eprintln!(
            "goshim: warning: {} is not on PATH yet; `go` still runs the real go directly",
            dir.display()
        );
        return;
    };
    let Ok(input) = SearchInput::from_process(process) else {
        return;
    };
    if let Ok(real) = realgo::find_real_go(&input)
        && let Some(real_dir) = real.path.parent().map(canon)
        && let Some(real_pos) = dirs.iter().position(|d| canon(d) == real_dir)
        && real_pos < pos
    {
        eprintln!(
            "goshim: warning: {} comes before {} on PATH, so `go` runs the real go and not goshim; \
             move {} to the front",
            real_dir.display(),
            dir.display(),
            dir.display()
        );
    }
}

/// The running goshim binary, canonical.
fn running_binary(process: &Process) -> Result<PathBuf, String> {
    process
        .current_exe()
        .ok_or_else(|| std::io::Error::other("the OS does not say"))
        .and_then(Path::canonicalize)
        .map_err(|err| format!("cannot locate the running goshim binary: {err}"))
}

fn fail(message: &str) -> ExitCode {
    exit::fail(message, Exit::Problem)
}

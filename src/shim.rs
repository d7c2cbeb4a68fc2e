//! The hot path: goshim running as `go` — plan, then hand over to the real go.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, ExitCode};

use crate::env_vars::{GOSHIM_DEPTH, GOSHIM_NOTICES};
use crate::exit::{self, Exit};
use crate::plan;
use crate::process::Process;
use crate::realgo;

/// True when argv\[0\]'s file stem is `go` (`go`, `/usr/bin/go`, `go.exe`).
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
/// go's own argv\[0\].
pub fn run(process: &Process, argv0: &OsStr, args: &[OsString]) -> ExitCode {
    let depth = realgo::current_depth(process);
    if let Err(err) = realgo::check_depth(depth) {
        return exit::fail(err, Exit::Usage);
    }
    let plan = match plan::plan(process, args) {
        Ok(plan) => plan,
        Err(err) => return exit::fail(&err, err.exit()),
    };
    let notices = plan.report(process);
    let mut set = plan.variables();
    set.push((
        OsString::from(GOSHIM_DEPTH),
        OsString::from((depth + 1).to_string()),
    ));
    if let Some(digest) = notices {
        set.push((OsString::from(GOSHIM_NOTICES), OsString::from(digest)));
    }
    let mut cmd = Command::new(&plan.real.path);
    cmd.args(args);
    cmd.envs(set);
    hand_over(cmd, argv0, &plan.real.path)
}

/// Hands over to the real go: on Unix `exec` (same pid, signals and exit status; only returns
/// on failure), on Windows spawn, wait and exit with go's full 32-bit code.
#[cfg(unix)]
fn hand_over(mut cmd: Command, argv0: &OsStr, go: &Path) -> ExitCode {
    use std::os::unix::process::CommandExt;
    cmd.arg0(argv0);
    let err = cmd.exec();
    exit::fail(
        format_args!("cannot run {}: {err}", go.display()),
        Exit::CannotRun,
    )
}

#[cfg(windows)]
fn hand_over(mut cmd: Command, _argv0: &OsStr, go: &Path) -> ExitCode {
    match cmd.status() {
        // The full 32-bit code: ExitCode only carries u8, so exit directly.
        Ok(status) => std::process::exit(status.code().unwrap_or(1)),
        Err(err) => exit::fail(
            format_args!("cannot run {}: {err}", go.display()),
            Exit::CannotRun,
        ),
    }
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

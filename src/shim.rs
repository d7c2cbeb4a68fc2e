//! The hot path: goshim running as `go` — plan, then hand over to the real go.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, ExitCode};

use crate::decide::ROUTER_URL;
use crate::env_vars::{GOSHIM_DEPTH, GOSHIM_NOTICES, GOSHIM_ROUTER_URL};
use crate::exit::{self, Exit};
use crate::plan::{self, Mode};
use crate::process::Process;
use crate::realgo;
use crate::router;

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
    let mut plan = match plan::plan(process, args, Mode::Router) {
        Ok(plan) => plan,
        Err(err) => return exit::fail(&err, err.exit()),
    };
    let notices = plan.report(process);
    let mut set = plan.variables();
    let mut running = None;
    if let Some(table) = plan.router_table() {
        match serve(process, &table) {
            Ok((url, pointer, started)) => {
                if table.debug {
                    let port = url.split('/').nth(2).unwrap_or_default();
                    let how = if started.is_some() {
                        "started"
                    } else {
                        "reused"
                    };
                    eprintln!("goshim: debug: router on {port} ({how})");
                }
                for (name, value) in &mut set {
                    if name == "GOPROXY" {
                        *value = value.to_string_lossy().replacen(ROUTER_URL, &url, 1).into();
                    }
                }
                set.push((OsString::from(GOSHIM_ROUTER_URL), OsString::from(pointer)));
                running = started;
            }
            Err(err) => {
                // No router (no loopback, no spawn): go gets the variables decided as before.
                if table.debug {
                    eprintln!(
                        "goshim: debug: the module router cannot start ({err}); deciding the variables instead"
                    );
                }
                plan = match plan::plan(process, args, Mode::Variables) {
                    Ok(plan) => plan,
                    Err(err) => return exit::fail(&err, err.exit()),
                };
                plan.report_decision();
                set = plan.variables();
            }
        }
    }
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
    hand_over(cmd, argv0, &plan.real.path, running)
}

/// The router go talks to: the live one a goshim further up the process tree started for the
/// same table, else a new one. Returns its URL, the `GOSHIM_ROUTER_URL` value for go, and the
/// router this goshim started (if it did).
fn serve(
    process: &Process,
    table: &router::Table,
) -> Result<(String, String, Option<router::Running>), router::StartError> {
    if let Some(url) = router::reuse(process, table) {
        let pointer = process
            .var(GOSHIM_ROUTER_URL)
            .unwrap_or_default()
            .to_string();
        return Ok((url, pointer, None));
    }
    let running = router::start(process, table)?;
    Ok((running.url.clone(), running.env_value(), Some(running)))
}

/// Hands over to the real go: on Unix `exec` (same pid, signals and exit status; only returns
/// on failure), on Windows spawn, wait and exit with go's full 32-bit code.
#[cfg(unix)]
fn hand_over(
    mut cmd: Command,
    argv0: &OsStr,
    go: &Path,
    // The router process watches this pid, which go keeps after the exec.
    _router: Option<router::Running>,
) -> ExitCode {
    use std::os::unix::process::CommandExt;
    cmd.arg0(argv0);
    let err = cmd.exec();
    exit::fail(
        format_args!("cannot run {}: {err}", go.display()),
        Exit::CannotRun,
    )
}

#[cfg(windows)]
fn hand_over(
    mut cmd: Command,
    _argv0: &OsStr,
    go: &Path,
    router: Option<router::Running>,
) -> ExitCode {
    let status = cmd.status();
    // The router thread serves exactly as long as go runs.
    if let Some(r) = router {
        r.stop();
    }
    match status {
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

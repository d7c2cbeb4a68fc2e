//! The hot path: what happens when goshim runs as `go`.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::ExitCode;

use crate::config::{self, ConfigError, LoadInput, Loaded, Origin};
use crate::env_vars::{GOSHIM_DEPTH, GOSHIM_DISABLE};
use crate::exec::{self, ExplicitSource, Launch, SearchInput};

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
    let mut input = match SearchInput::from_process() {
        Ok(input) => input,
        Err(err) => return fail(&format!("cannot read the working directory: {err}"), 2),
    };
    let depth = exec::current_depth();
    if let Err(err) = exec::check_depth(depth) {
        return fail(&err.to_string(), 2);
    }
    match load_config(&mut input) {
        Ok(Some(loaded)) => print_notices(&loaded),
        Ok(None) => {}
        Err(err) => return fail(&err.to_string(), err.exit_code()),
    }
    let real = match exec::find_real_go(&input) {
        Ok(real) => real,
        Err(err) => return fail(&err.to_string(), err.exit_code()),
    };
    let set = vec![(
        OsString::from(GOSHIM_DEPTH),
        OsString::from((depth + 1).to_string()),
    )];
    exec::launch(Launch {
        go: &real.path,
        argv0: &argv0,
        args: &args,
        set,
    })
}

/// Loads the configuration for `input.cwd` (nothing when `GOSHIM_DISABLE=1`) and lets a `[shim]
/// go` from the user or system config choose the real go when `GOSHIM_GO` does not.
pub fn load_config(input: &mut SearchInput) -> Result<Option<Loaded>, ConfigError> {
    if crate::env_vars::is_true(GOSHIM_DISABLE) {
        return Ok(None);
    }
    let loaded = config::load(&LoadInput::from_process(input.cwd.clone()))?;
    if input.explicit.is_none()
        && let Some(go) = &loaded.config.shim.go
        && matches!(go.origin, Origin::File { .. })
    {
        input.explicit = Some((go.value.clone(), ExplicitSource::Config));
    }
    Ok(Some(loaded))
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

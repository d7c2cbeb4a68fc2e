//! The hot path: what happens when goshim runs as `go`.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::ExitCode;

use crate::env_vars::GOSHIM_DEPTH;
use crate::exec::{self, Launch, SearchInput};

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
    let input = match SearchInput::from_process() {
        Ok(input) => input,
        Err(err) => return fail(&format!("cannot read the working directory: {err}"), 2),
    };
    let depth = exec::current_depth();
    if let Err(err) = exec::check_depth(depth) {
        return fail(&err.to_string(), 2);
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

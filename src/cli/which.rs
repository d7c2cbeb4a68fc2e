//! `goshim which`: the real go that would run (stdout), and why (stderr).

use std::process::ExitCode;

use crate::exec::{self, FindError, Found, SearchInput};

pub fn run() -> ExitCode {
    let mut input = match SearchInput::from_process() {
        Ok(input) => input,
        Err(err) => {
            eprintln!("goshim: error: cannot read the working directory: {err}");
            return ExitCode::from(2);
        }
    };
    match crate::shim::load_config(&mut input) {
        Ok(Some(loaded)) => crate::shim::print_notices(&loaded),
        Ok(None) => {}
        Err(err) => {
            eprintln!("goshim: error: {err}");
            return ExitCode::from(err.exit_code());
        }
    }
    match exec::find_real_go(&input) {
        Ok(real) => {
            for s in &real.skipped {
                eprintln!("goshim: skipped {s}");
            }
            match real.found {
                Found::Explicit(source) => eprintln!("goshim: chosen by {source}"),
                Found::Path => eprintln!("goshim: the first go on PATH that is not goshim"),
            }
            println!("{}", real.path.display());
            ExitCode::SUCCESS
        }
        Err(err) => {
            if let FindError::NotFound { skipped } = &err {
                for s in skipped {
                    eprintln!("goshim: skipped {s}");
                }
            }
            eprintln!("goshim: error: {err}");
            ExitCode::from(err.exit_code())
        }
    }
}

//! `goshim which`: the real go that would run (stdout), and why (stderr).

use std::process::ExitCode;

use crate::exit::{self, Exit};
use crate::plan;
use crate::process::Process;
use crate::realgo::{self, FindError, Found, SearchInput};

pub fn run(process: &Process) -> ExitCode {
    let mut input = match SearchInput::from_process(process) {
        Ok(input) => input,
        Err(err) => return exit::fail(err, Exit::Usage),
    };
    match plan::load_config(process, &mut input) {
        Ok(Some(loaded)) => plan::print_config_notices(&loaded),
        Ok(None) => {}
        Err(err) => return exit::fail(err, Exit::Usage),
    }
    match realgo::find_real_go(&input) {
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
            exit::fail(&err, err.exit())
        }
    }
}

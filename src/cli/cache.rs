//! `goshim cache clear`: forget every proxy verdict (the health cache directory).

use std::process::ExitCode;

use crate::exit::{self, Exit};
use crate::health::cache::Store;
use crate::process::Process;

pub fn clear(process: &Process) -> ExitCode {
    let store = Store::default_location(process);
    let Some(dir) = store.dir() else {
        return exit::fail(
            "no cache directory is known (no home directory)",
            Exit::Usage,
        );
    };
    match std::fs::remove_dir_all(dir) {
        Ok(()) => {
            eprintln!("goshim: removed {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("goshim: {} is already empty", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => exit::fail(
            format_args!("cannot remove {}: {e}; remove it by hand", dir.display()),
            Exit::Problem,
        ),
    }
}

//! `goshim cache clear`: forget every proxy verdict (the health cache directory).

use std::process::ExitCode;

use crate::health::cache::Store;

pub fn clear() -> ExitCode {
    let store = Store::default_location();
    let Some(dir) = store.dir() else {
        eprintln!("goshim: error: no cache directory is known (no home directory)");
        return ExitCode::from(2);
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
        Err(e) => {
            eprintln!(
                "goshim: error: cannot remove {}: {e}; remove it by hand",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}

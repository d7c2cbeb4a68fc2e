//! `goshim exec -- ARGS…`: the shim path, taken explicitly.

use std::ffi::OsString;
use std::process::ExitCode;

pub fn run(args: Vec<OsString>) -> ExitCode {
    crate::shim::run(OsString::from("go"), args)
}

//! `goshim exec -- ARGS…`: the shim path, taken explicitly.

use std::ffi::OsString;
use std::process::ExitCode;

use crate::process::Process;

pub fn run(process: &Process, args: &[OsString]) -> ExitCode {
    crate::shim::run(process, &OsString::from("go"), args)
}

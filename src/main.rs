use std::process::ExitCode;

fn main() -> ExitCode {
    let process = goshim::process::Process::current();
    #[allow(clippy::disallowed_methods)] // argv is read once, here
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    if goshim::shim::invoked_as_go(&argv0) {
        let args: Vec<_> = args.collect();
        return goshim::shim::run(&process, &argv0, &args);
    }
    goshim::cli::run(&process)
}

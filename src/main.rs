use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    if goshim::shim::invoked_as_go(&argv0) {
        return goshim::shim::run(argv0, args.collect());
    }
    goshim::cli::run()
}

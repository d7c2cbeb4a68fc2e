// A stand-in for the real go, compiled by the tests with plain rustc (no dependencies). It writes
// what it received as JSON to $FAKE_GO_OUT (or stdout): argv[0], arguments as byte arrays,
// working directory, environment, pid. Then it behaves as told: FAKE_GO_STDIN=1 copies stdin to
// stdout, FAKE_GO_EXIT=N exits with N, FAKE_GO_SIGNAL=NAME kills itself with that signal.
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;

fn json_str(s: &[u8]) -> String {
    let s = String::from_utf8_lossy(s);
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn main() {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let argv: Vec<String> = args
        .map(|a| {
            let bytes: Vec<String> = a.as_bytes().iter().map(|b| b.to_string()).collect();
            format!("[{}]", bytes.join(","))
        })
        .collect();
    let env: Vec<String> = std::env::vars_os()
        .map(|(k, v)| format!("{}:{}", json_str(k.as_bytes()), json_str(v.as_bytes())))
        .collect();
    let cwd = std::env::current_dir().unwrap_or_default();
    let exe = std::env::current_exe().unwrap_or_default();
    let report = format!(
        "{{\"argv0\":{},\"args\":[{}],\"cwd\":{},\"exe\":{},\"pid\":{},\"env\":{{{}}}}}\n",
        json_str(argv0.as_bytes()),
        argv.join(","),
        json_str(cwd.as_os_str().as_bytes()),
        json_str(exe.as_os_str().as_bytes()),
        std::process::id(),
        env.join(",")
    );
    match std::env::var_os("FAKE_GO_OUT") {
        Some(path) => std::fs::write(path, report).expect("write FAKE_GO_OUT"),
        None => print!("{report}"),
    }
    if std::env::var_os("FAKE_GO_STDIN").is_some() {
        let mut input = Vec::new();
        std::io::stdin().read_to_end(&mut input).unwrap();
        std::io::stdout().write_all(&input).unwrap();
        std::io::stdout().flush().unwrap();
    }
    if let Some(sig) = std::env::var_os("FAKE_GO_SIGNAL") {
        // The shell's own `kill` builtin, so no PATH is needed; $PPID is this process.
        let _ = std::process::Command::new("/bin/sh")
            .arg("-c")
            .arg(format!("kill -{} $PPID", sig.to_string_lossy()))
            .status();
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
    let code = std::env::var("FAKE_GO_EXIT").ok().and_then(|c| c.parse().ok()).unwrap_or(0);
    std::process::exit(code);
}

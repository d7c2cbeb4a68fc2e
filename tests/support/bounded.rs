//! Running a command under a time limit, for control runs that are expected to hang (e.g. the
//! real go against a proxy that accepts and never answers).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// What a bounded run produced.
#[derive(Debug)]
pub struct Bounded {
    /// `None` when the command was still running at the limit and was killed.
    pub status: Option<ExitStatus>,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub elapsed: Duration,
}

impl Bounded {
    pub fn timed_out(&self) -> bool {
        self.status.is_none()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// It finished with status 0.
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    /// Its exit code (`None`: killed at the limit, or by a signal).
    pub fn code(&self) -> Option<i32> {
        self.status.and_then(|s| s.code())
    }

    /// Status, time, stdout and stderr, for assertion messages.
    pub fn show(&self) -> String {
        format!(
            "status {:?} after {:?}\nstdout:\n{}\nstderr:\n{}",
            self.status,
            self.elapsed,
            String::from_utf8_lossy(&self.stdout),
            self.stderr_text()
        )
    }
}

/// Reads a pipe to its end on a thread; the result arrives on the channel.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut out = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut out);
        }
        let _ = tx.send(out);
    });
    rx
}

/// What a pipe produced, waiting at most a second after the command ended (a leftover
/// grandchild could hold it open).
fn collect(rx: &Receiver<Vec<u8>>) -> Vec<u8> {
    rx.recv_timeout(Duration::from_secs(1)).unwrap_or_default()
}

/// Runs `cmd` (stdin closed, output captured) in its own process group; kills that group if
/// the command is still running after `limit`.
pub fn run(cmd: &mut Command, limit: Duration) -> Bounded {
    let started = Instant::now();
    let mut child: Child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("spawn a bounded command");
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for a bounded command") {
            break Some(status);
        }
        if started.elapsed() >= limit {
            // The group id is the child's pid: this ends the command and what it started.
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Bounded {
        status,
        stdout: collect(&stdout),
        stderr: collect(&stderr),
        elapsed: started.elapsed(),
    }
}

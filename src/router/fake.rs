//! An in-process fake upstream for the router's unit tests: blocking std::net, one thread per
//! connection, `Connection: close`, behaviour chosen per request by a closure.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// What the fake does with one request.
#[derive(Debug, Clone)]
pub enum Act {
    /// Answer with status, content type and body (exact `Content-Length`).
    Answer(u16, &'static str, Vec<u8>),
    /// Answer with extra headers too.
    AnswerWith(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Read the request, never answer (until the fake is dropped).
    Hang,
    /// Send the head of a 200 with this body, then one byte per interval.
    Trickle(Vec<u8>, Duration),
    /// Announce this many bytes, send only the body given, close.
    Truncate(usize, Vec<u8>),
}

type Handler = dyn Fn(&str, usize) -> Act + Send + Sync;

/// A running fake upstream; stops (and releases hanging connections) when dropped.
pub struct Fake {
    pub url: String,
    stop: Arc<AtomicBool>,
    pub hits: Arc<AtomicUsize>,
}

impl Fake {
    pub fn start(handler: impl Fn(&str, usize) -> Act + Send + Sync + 'static) -> Fake {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let hits = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s, h) = (Arc::clone(&stop), Arc::clone(&hits));
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let n = h.fetch_add(1, Ordering::SeqCst);
                        let (s, handler) = (Arc::clone(&s), Arc::clone(&handler));
                        std::thread::spawn(move || serve(conn, n, &s, &*handler));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Fake { url, stop, hits }
    }

    /// Requests received so far.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn serve(conn: TcpStream, n: usize, stop: &AtomicBool, handler: &Handler) {
    conn.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
    }
    let mut conn = conn;
    let head = |status: u16, extra: &[(&str, String)], len: usize| {
        let mut s =
            format!("HTTP/1.1 {status} X\r\nContent-Length: {len}\r\nConnection: close\r\n");
        for (k, v) in extra {
            s.push_str(&format!("{k}: {v}\r\n"));
        }
        s.push_str("\r\n");
        s.into_bytes()
    };
    let wait = |d: Duration| {
        let mut left = d;
        while !stop.load(Ordering::SeqCst) && !left.is_zero() {
            let step = left.min(Duration::from_millis(10));
            std::thread::sleep(step);
            left -= step;
        }
        !stop.load(Ordering::SeqCst)
    };
    match handler(&path, n) {
        Act::Answer(status, ct, body) => {
            let _ = conn.write_all(&head(
                status,
                &[("Content-Type", ct.to_string())],
                body.len(),
            ));
            let _ = conn.write_all(&body);
        }
        Act::AnswerWith(status, extra, body) => {
            let _ = conn.write_all(&head(status, &extra, body.len()));
            let _ = conn.write_all(&body);
        }
        Act::Hang => while wait(Duration::from_millis(50)) {},
        Act::Trickle(body, every) => {
            let _ = conn.write_all(&head(200, &[], body.len()));
            for b in body {
                if !wait(every) || conn.write_all(&[b]).is_err() {
                    return;
                }
            }
        }
        Act::Truncate(announced, body) => {
            let _ = conn.write_all(&head(200, &[], announced));
            let _ = conn.write_all(&body);
        }
    }
    let _ = conn.flush();
}

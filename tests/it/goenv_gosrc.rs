//! Differential tests of goshim's Go-rule parsers against Go's own code: x/mod
//! `MatchPrefixPatterns` (copied from the Go source tree into a helper program) and
//! `path.Match`, the go.mod/go.work parser against `go mod edit -json`, the GOPROXY parser
//! against the error go prints at its first module lookup, and the GOSUMDB parser against the
//! error go prints when it first verifies a download. Inputs come from a seeded xorshift
//! generator, so every run checks the same cases.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use goshim::goenv::gomod::{ModFile, parse_go_mod, parse_go_work};
use goshim::goenv::{match_prefix_patterns, parse_proxy_list, path_match};
use serde_json::Value;

use crate::support::realgo;
use crate::support::rng::XorShift;

/// A hermetic environment for helper go runs.
fn go_env(home: &Path) -> Vec<(String, String)> {
    vec![
        ("PATH".into(), "/usr/bin:/bin".into()),
        ("HOME".into(), home.display().to_string()),
        ("GOCACHE".into(), realgo::gocache().display().to_string()),
        ("GOPATH".into(), home.join("gopath").display().to_string()),
        ("GOTOOLCHAIN".into(), "local".into()),
        ("GOPROXY".into(), "off".into()),
        ("GOFLAGS".into(), "-modcacherw".into()),
        ("CGO_ENABLED".into(), "0".into()),
    ]
}

fn goroot_src(rel: &str) -> String {
    let go = std::fs::canonicalize(realgo::go()).expect("real go");
    let root = go.parent().and_then(Path::parent).expect("GOROOT");
    std::fs::read_to_string(root.join("src").join(rel)).expect("Go source file")
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

/// x/mod's MatchPrefixPatterns, taken verbatim from the Go tree, and path.Match, fed one case a
/// line; goshim must answer every case the same way.
#[test]
fn patterns_match_go_source() {
    let module_go = goroot_src("cmd/vendor/golang.org/x/mod/module/module.go");
    let start = module_go
        .find("func MatchPrefixPatterns(")
        .expect("MatchPrefixPatterns in x/mod");
    let len = module_go[start..].find("\n}\n").expect("end of function") + 3;
    let func = &module_go[start..start + len];
    let program = format!(
        r#"package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path"
	"strings"
)

{func}
func main() {{
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {{
		f := strings.Split(sc.Text(), ":")
		a, _ := hex.DecodeString(f[1])
		b, _ := hex.DecodeString(f[2])
		if f[0] == "M" {{
			fmt.Fprintln(w, MatchPrefixPatterns(string(a), string(b)))
		}} else {{
			ok, err := path.Match(string(a), string(b))
			if err != nil {{
				fmt.Fprintln(w, "err")
			}} else {{
				fmt.Fprintln(w, ok)
			}}
		}}
	}}
}}
"#
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("go.mod"), "module patterns\n\ngo 1.22\n").expect("go.mod");
    std::fs::write(tmp.path().join("main.go"), program).expect("main.go");

    let mut rng = XorShift(0xa11c_e5ee_d000_0001);
    let glob_alpha = [
        "a", "b", "c", ".", "/", "*", "?", "[", "]", "^", "-", "\\", ",", "é", "io", "rsc",
    ];
    let name_alpha = ["a", "b", "c", ".", "/", "-", "é", "*", "]", "io", "rsc"];
    let mut cases: Vec<(bool, String, String)> = Vec::new();
    for i in 0..20000 {
        let glob = rng.string(&glob_alpha, 9);
        let name = if i % 4 == 1 {
            // Names shaped like the glob match far more often.
            glob.replace('*', "ab")
                .replace('?', "c")
                .replace(['[', ']', '^', '\\', ','], "")
                + rng.pick_str(&["", "/x", "/a/b", "c"])
        } else {
            rng.string(&name_alpha, 10)
        };
        cases.push((i % 3 != 0, glob, name));
    }
    let input: String = cases
        .iter()
        .map(|(m, a, b)| format!("{}:{}:{}\n", if *m { "M" } else { "P" }, hex(a), hex(b)))
        .collect();
    let mut child = Command::new(realgo::go())
        .args(["run", "."])
        .current_dir(tmp.path())
        .env_clear()
        .envs(go_env(tmp.path()))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("go run");
    let mut stdin = child.stdin.take().expect("stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("go run output");
    let written = writer.join().expect("writer");
    assert!(
        out.status.success() && written.is_ok(),
        "helper failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(answers.len(), cases.len(), "one answer per case");
    let mut problems = Vec::new();
    let mut trues = 0;
    for ((is_prefix, a, b), theirs) in cases.iter().zip(&answers) {
        let mine = if *is_prefix {
            match_prefix_patterns(a, b).to_string()
        } else {
            match path_match(a, b) {
                Ok(v) => v.to_string(),
                Err(_) => "err".to_string(),
            }
        };
        trues += usize::from(theirs == "true");
        if &mine != theirs {
            let f = if *is_prefix {
                "MatchPrefixPatterns"
            } else {
                "path.Match"
            };
            problems.push(format!("{f}({a:?}, {b:?}): goshim {mine}, go {theirs}"));
        }
    }
    assert!(
        trues > 500,
        "only {trues} matching cases: the generator drifted"
    );
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems[..problems.len().min(20)].join("\n")
    );
}

/// `go mod edit -json` / `go work edit -json` as goshim's [`ModFile`] (the fields both have).
fn json_to_modfile(v: &Value, work: bool) -> ModFile {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(String::from);
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut m = ModFile {
        module: v
            .get("Module")
            .and_then(|m| s(m, "Path"))
            .filter(|p| !p.is_empty()),
        go: s(v, "Go"),
        toolchain: s(v, "Toolchain"),
        ..ModFile::default()
    };
    for r in list("Require") {
        m.requires.push(goshim::goenv::gomod::Require {
            path: s(&r, "Path").unwrap_or_default(),
            version: s(&r, "Version").unwrap_or_default(),
            indirect: r.get("Indirect").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    for r in list("Replace") {
        let old = r.get("Old").cloned().unwrap_or(Value::Null);
        let new = r.get("New").cloned().unwrap_or(Value::Null);
        m.replaces.push(goshim::goenv::gomod::Replace {
            old_path: s(&old, "Path").unwrap_or_default(),
            old_version: s(&old, "Version"),
            new_path: s(&new, "Path").unwrap_or_default(),
            new_version: s(&new, "Version"),
        });
    }
    for e in list("Exclude") {
        m.excludes.push((
            s(&e, "Path").unwrap_or_default(),
            s(&e, "Version").unwrap_or_default(),
        ));
    }
    for r in list("Retract") {
        m.retracts.push(goshim::goenv::gomod::Retract {
            low: s(&r, "Low").unwrap_or_default(),
            high: s(&r, "High").unwrap_or_default(),
        });
    }
    let godebug = if work { "Godebug" } else { "GoDebug" };
    for g in list(godebug) {
        m.godebug.push((
            s(&g, "Key").unwrap_or_default(),
            s(&g, "Value").unwrap_or_default(),
        ));
    }
    m.tools = list("Tool").iter().filter_map(|t| s(t, "Path")).collect();
    m.ignores = list("Ignore").iter().filter_map(|t| s(t, "Path")).collect();
    m.uses = list("Use")
        .iter()
        .filter_map(|t| s(t, "DiskPath"))
        .collect();
    m
}

fn generate_modfile(rng: &mut XorShift, work: bool) -> String {
    let mut lines: Vec<String> = Vec::new();
    // Mostly valid paths and versions, sometimes one go rejects.
    fn path(rng: &mut XorShift) -> &'static str {
        if rng.below(10) == 0 {
            rng.pick_str(&["x.com/a/v2", "x.com/a/v1", "gopkg.in/yaml.v3", "gopkg.in/x"])
        } else {
            rng.pick_str(&[
                "x.com/a",
                "example.com/b/c",
                "\"example.com/q\"",
                "golang.org/x/text",
            ])
        }
    }
    fn version(rng: &mut XorShift) -> &'static str {
        if rng.below(10) == 0 {
            rng.pick_str(&["v2.0.0", "v3.0.0+meta", "master", "\"v1.0.0\"", "v1-x"])
        } else {
            rng.pick_str(&[
                "v1.0.0",
                "v0.3.0",
                "v1.2.3-pre.1",
                "v0.0.0-20240101000000-abcdef123456",
                "v1.2",
                "v2.1.0+incompatible",
            ])
        }
    }
    let dirs = ["./a", "../b", "/abs/c", "\"./d e\"", ".", "./x\\y"];
    let eol = |rng: &mut XorShift| -> &'static str {
        rng.pick_str(&["", "", " // indirect", " // note", " //indirect; keep"])
    };
    let n = 1 + rng.below(9);
    for _ in 0..n {
        let line = match rng.below(if work { 7 } else { 15 }) {
            0 => format!(
                "go {}",
                rng.pick_str(&["1.21", "1.22.3", "1.23rc1", "1.22.x", "1", "01.2"])
            ),
            1 => format!(
                "toolchain {}",
                rng.pick_str(&["go1.23.1", "default", "1.22", "go1"])
            ),
            2 => format!(
                "godebug {}",
                rng.pick_str(&["default=go1.21", "panicnil=1", "bad", "a=b,c"])
            ),
            3 => format!(
                "godebug (\n\t{}\n\t{}\n)",
                rng.pick_str(&["x=1", "y=2"]),
                rng.pick_str(&["z=3", "w"])
            ),
            4 => {
                let p = path(rng);
                match rng.below(4) {
                    0 => format!("replace {p} => {}", rng.pick(&dirs)),
                    1 => format!(
                        "replace {p} {} => {} {}",
                        version(rng),
                        path(rng),
                        version(rng)
                    ),
                    2 => format!("replace {p} => {} {}", rng.pick(&dirs), version(rng)),
                    _ => format!(
                        "replace (\n\t{p} => {}\n\t{p} => x.com/z@v1.0.0\n)",
                        rng.pick(&dirs)
                    ),
                }
            }
            5 if work => format!("use {}", rng.pick(&dirs)),
            6 if work => format!(
                "use (\n\t{}\n\t{} // c\n\n)",
                rng.pick(&dirs),
                rng.pick(&dirs)
            ),
            5 => format!("module {}", path(rng)),
            6 => format!("require {} {}{}", path(rng), version(rng), eol(rng)),
            7 => format!(
                "require (\n\t{} {}{}\n\t// comment\n\t{} {}{}\n)",
                path(rng),
                version(rng),
                eol(rng),
                path(rng),
                version(rng),
                eol(rng)
            ),
            8 => format!("exclude {} {}", path(rng), version(rng)),
            9 => format!(
                "retract {}",
                rng.pick_str(&[
                    "v1.0.0",
                    "[v1.0.0, v1.1.0]",
                    "[v1.0.0 v1.1.0]",
                    "[v1.0.0,",
                    "v1.0.0 v1.0.1",
                    "( v1.0.0"
                ])
            ),
            10 => format!(
                "retract (\n\tv1.0.0 // why\n\t[v1.1.0, {}]\n)",
                rng.pick_str(&["v1.2.0", "v1.2.0 ]"])
            ),
            11 => format!("tool {}", path(rng)),
            12 => format!("ignore {}", rng.pick(&dirs)),
            13 => rng
                .pick(&["foo bar", "// a comment", "", "require ()", "exclude (\n)"])
                .to_string(),
            _ => rng
                .pick(&[
                    "require (\n\tx.com/a v1.0.0\n",
                    "module \"unterminated",
                    "module m /* c */",
                    "require x.com/a v1.0.0 ) extra",
                    "require ( x.com/a v1.0.0 )",
                    "require (\n) x",
                    "module `m`",
                    "module a b",
                    "go 1.22 1.23",
                ])
                .to_string(),
        };
        lines.push(line);
    }
    if !work && rng.below(4) != 0 {
        lines.insert(0, "module example.com/main".into());
    }
    lines.join("\n") + if rng.below(5) == 0 { "" } else { "\n" }
}

/// The first error line go printed: (line, column or 0, message).
fn go_first_error(stderr: &str, file: &Path) -> Option<(usize, usize, String)> {
    let full = format!("{}:", file.display());
    let base = format!("{}:", file.file_name()?.to_string_lossy());
    let (line, prefix) = stderr.lines().find_map(|l| {
        [&full, &base]
            .into_iter()
            .find(|p| l.starts_with(p.as_str()))
            .map(|p| (l, p.clone()))
    })?;
    let rest = &line[prefix.len()..];
    let mut parts = rest.splitn(3, ':');
    let ln: usize = parts.next()?.parse().ok()?;
    let second = parts.next()?;
    if let Ok(col) = second.parse::<usize>() {
        Some((ln, col, parts.next()?.trim_start().to_string()))
    } else {
        let msg = match parts.next() {
            Some(more) => format!("{second}:{more}"),
            None => second.to_string(),
        };
        Some((ln, 0, msg.trim_start().to_string()))
    }
}

#[test]
fn go_mod_parser_matches_go_mod_edit() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases: Vec<(PathBuf, String, bool)> = (0..300)
        .map(|i| {
            let mut rng = XorShift(0x60d0_0000_0000_0001 ^ ((i as u64 + 1) * 0x9e37_79b9));
            let work = i % 4 == 3;
            let text = generate_modfile(&mut rng, work);
            let dir = tmp.path().join(format!("m{i:03}"));
            std::fs::create_dir_all(&dir).expect("mkdir");
            let file = dir.join(if work { "go.work" } else { "go.mod" });
            std::fs::write(&file, &text).expect("write");
            (file, text, work)
        })
        .collect();
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let (ok_count, err_count) = (AtomicUsize::new(0), AtomicUsize::new(0));
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some((file, text, work)) = cases.get(next.fetch_add(1, Ordering::Relaxed))
                {
                    let sub = if *work { "work" } else { "mod" };
                    let out = Command::new(realgo::go())
                        .args([sub, "edit", "-json"])
                        .arg(file)
                        .current_dir(file.parent().expect("dir"))
                        .env_clear()
                        .envs(go_env(tmp.path()))
                        .output()
                        .expect("go mod edit");
                    let name = file.display().to_string();
                    let mine = if *work {
                        parse_go_work(&name, text)
                    } else {
                        parse_go_mod(&name, text)
                    };
                    let stderr = String::from_utf8_lossy(&out.stderr);
                    let problem = match (&mine, out.status.success()) {
                        (Ok(m), true) => {
                            ok_count.fetch_add(1, Ordering::Relaxed);
                            // go mod edit prints the file after modfile's removeDups.
                            let mut m = m.clone();
                            m.remove_dups();
                            let m = &m;
                            let v: Value = serde_json::from_slice(&out.stdout).expect("json");
                            let theirs = json_to_modfile(&v, *work);
                            (m != &theirs).then(|| {
                                format!("parsed differently:\n goshim {m:?}\n go     {theirs:?}")
                            })
                        }
                        (Err(e), false) => {
                            err_count.fetch_add(1, Ordering::Relaxed);
                            match go_first_error(&stderr, file) {
                                Some((line, col, msg)) => {
                                    let col_ok = col == 0 && e.col <= 1 || col == e.col;
                                    (line != e.line || !col_ok || msg != e.msg).then(|| {
                                        format!("error differs: goshim {e}, go {line}:{col}: {msg}")
                                    })
                                }
                                None => Some(format!("go error not located: {stderr}")),
                            }
                        }
                        (Ok(_), false) => Some(format!(
                            "go rejected it ({}) but goshim accepted",
                            stderr.trim()
                        )),
                        (Err(e), true) => Some(format!("goshim rejected it ({e}) but go accepted")),
                    };
                    if let Some(p) = problem {
                        problems
                            .lock()
                            .expect("lock")
                            .push(format!("{p}\n--- {}:\n{text}", file.display()));
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().expect("lock");
    let (ok, err) = (ok_count.into_inner(), err_count.into_inner());
    assert!(
        problems.is_empty(),
        "{} differences (first 8):\n{}",
        problems.len(),
        problems[..problems.len().min(8)].join("\n\n")
    );
    assert!(
        ok >= 40 && err >= 40,
        "{ok} valid and {err} invalid files: the generator drifted"
    );
}

/// GOPROXY lists: goshim's parse error is exactly the error go reports at its first lookup, and
/// lists goshim accepts never produce a GOPROXY error. Every URL points at a closed loopback
/// port or a missing file:// directory, and no list contains `direct`, so nothing leaves the
/// machine.
#[test]
fn goproxy_parser_matches_go() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let missing = tmp.path().join("missing-proxy");
    let file_url = format!("file://{}", missing.display());
    let entries = [
        "http://127.0.0.1:1/p",
        "http://127.0.0.1:1/q",
        "https://127.0.0.1:1/r",
        "127.0.0.1:1",
        "off",
        "https://127.0.0.1:1",
        "127.0.0.1:1/inferred",
        file_url.as_str(),
        "off",
        " ",
        "",
        "OFF",
        "Direct",
        "bare",
        "/abs/path",
        "file:proxyroot",
        "ftp://127.0.0.1:1",
        "file://localhost/x",
        "http://u:secret@127.0.0.1:1/x",
        "https://127.0.0.1:1/%zz",
        "http://[::1/",
        "https://127.0.0.1:1:2/",
        "127.0.0.1:x",
    ];
    let mut rng = XorShift(0x9e0_7201);
    let lists: Vec<String> = (0..150)
        .map(|_| {
            let mut s = String::new();
            for _ in 0..=rng.below(3) {
                s.push_str(rng.pick_str(&entries));
                s.push_str(rng.pick_str(&[",", "|", " , ", ""]));
            }
            s.trim_end_matches([',', '|', ' ']).to_string()
        })
        .filter(|s| !s.is_empty() && !s.trim_matches([',', '|', ' ']).is_empty() || s == ",")
        .collect();
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let invalid = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some(list) = lists.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let mut env: BTreeMap<String, String> =
                        go_env(tmp.path()).into_iter().collect();
                    env.insert("GOPROXY".into(), list.clone());
                    env.insert("GOFLAGS".into(), String::new());
                    let out = Command::new(realgo::go())
                        .args(["mod", "download", "example.com/never@v1.0.0"])
                        .current_dir(tmp.path())
                        .env_clear()
                        .envs(&env)
                        .output()
                        .expect("go mod download");
                    let text = format!(
                        "{}{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                    let problem = match parse_proxy_list(list, false) {
                        Err(e) => {
                            invalid.fetch_add(1, Ordering::Relaxed);
                            (!text.contains(&e.to_string()))
                                .then(|| format!("goshim: {e}; go: {text}"))
                        }
                        Ok(_) => (text.contains("invalid proxy URL")
                            || text.contains("GOPROXY list"))
                        .then(|| format!("goshim accepted it; go: {text}")),
                    };
                    assert!(!out.status.success(), "nothing can be downloaded here");
                    if let Some(p) = problem {
                        problems
                            .lock()
                            .expect("lock")
                            .push(format!("GOPROXY={list:?}: {p}"));
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().expect("lock");
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
    let invalid = invalid.into_inner();
    assert!(
        invalid >= 30 && invalid + 30 <= lists.len(),
        "{invalid} invalid of {}: the generator drifted",
        lists.len()
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A store-only zip archive (what a module proxy serves as `.zip`).
fn zip_store(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in files {
        let offset = out.len() as u32;
        let crc = crc32(data);
        let header = |sig: u32, central: bool| {
            let mut h = Vec::new();
            h.extend_from_slice(&sig.to_le_bytes());
            if central {
                h.extend_from_slice(&20u16.to_le_bytes());
            }
            for v in [20u16, 0, 0, 0, 0x21] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            for v in [crc, data.len() as u32, data.len() as u32] {
                h.extend_from_slice(&v.to_le_bytes());
            }
            h.extend_from_slice(&(name.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes());
            if central {
                for v in [0u16, 0, 0] {
                    h.extend_from_slice(&v.to_le_bytes());
                }
                h.extend_from_slice(&0u32.to_le_bytes());
                h.extend_from_slice(&offset.to_le_bytes());
            }
            h.extend_from_slice(name.as_bytes());
            h
        };
        out.extend(header(0x0403_4b50, false));
        out.extend_from_slice(data);
        central.extend(header(0x0201_4b50, true));
    }
    let cd_offset = out.len() as u32;
    let cd_len = central.len() as u32;
    out.extend(central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    for v in [0u16, 0, files.len() as u16, files.len() as u16] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(&cd_len.to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

fn base64_std(data: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A verifier key `name+hash+key` for a key of algorithm `alg` (1 = Ed25519) and 32 `fill`
/// bytes.
fn verifier_key(name: &str, fill: u8, alg: u8) -> String {
    use sha2::{Digest, Sha256};
    let mut key = vec![alg];
    key.extend([fill; 32]);
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(&key);
    let sum = h.finalize();
    format!(
        "{name}+{:02x}{:02x}{:02x}{:02x}+{}",
        sum[0],
        sum[1],
        sum[2],
        sum[3],
        base64_std(&key)
    )
}

/// GOSUMDB values: goshim's parse error is the error go reports when it first verifies a
/// download, and values goshim accepts make go contact exactly the database URL given. A
/// file:// proxy serves one module; every database URL is a closed loopback port, so nothing
/// leaves the machine (values that would reach sum.golang.org are not run).
#[test]
fn gosumdb_parser_matches_go() {
    use goshim::goenv::{SumDb, parse_gosumdb};
    let tmp = tempfile::tempdir().expect("tempdir");
    let proxy = tmp.path().join("proxy/example.com/hello/@v");
    std::fs::create_dir_all(&proxy).expect("proxy dir");
    let gomod = b"module example.com/hello\n";
    std::fs::write(proxy.join("list"), "v1.0.0\n").expect("list");
    std::fs::write(proxy.join("v1.0.0.info"), r#"{"Version":"v1.0.0"}"#).expect("info");
    std::fs::write(proxy.join("v1.0.0.mod"), gomod).expect("mod");
    let zip = zip_store(&[
        ("example.com/hello@v1.0.0/go.mod", gomod),
        ("example.com/hello@v1.0.0/hello.go", b"package hello\n"),
    ]);
    std::fs::write(proxy.join("v1.0.0.zip"), zip).expect("zip");
    let goproxy = format!("file://{}", tmp.path().join("proxy").display());

    let good = verifier_key("sum.example.com", 7, 1);
    let mut bad_hash = verifier_key("sum.example.com", 7, 1);
    bad_hash.replace_range(16..18, "00");
    let slash = verifier_key("sum.example.com/", 3, 1);
    let alg = verifier_key("sum.example.com", 9, 2);
    let values: Vec<String> = vec![
        "off".into(),
        " ".into(),
        "OFF".into(),
        " off".into(),
        "sum.example.com".into(),
        "https://sum.golang.org".into(),
        "a b c".into(),
        "sum.golang.org :bad".into(),
        "sum.golang.org http://127.0.0.1:1/direct".into(),
        format!("{good} http://127.0.0.1:1/custom"),
        format!("{good} http://127.0.0.1:1/x extra"),
        format!("{bad_hash} http://127.0.0.1:1"),
        format!("{slash} http://127.0.0.1:1"),
        format!("{alg} http://127.0.0.1:1"),
        "sum.example.com+0000zzzz+AQ== http://127.0.0.1:1".into(),
        "sum.example.com+deadbeef+!!!! http://127.0.0.1:1".into(),
    ];
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                while let Some(value) = values.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let i = next.load(Ordering::Relaxed);
                    let home = tmp.path().join(format!("h{i}-{}", value.len()));
                    std::fs::create_dir_all(&home).expect("home");
                    let mut env: BTreeMap<String, String> = go_env(&home).into_iter().collect();
                    env.insert("GOPROXY".into(), goproxy.clone());
                    env.insert("GOSUMDB".into(), value.clone());
                    env.insert("GOFLAGS".into(), String::new());
                    let out = Command::new(realgo::go())
                        .args(["mod", "download", "example.com/hello@v1.0.0"])
                        .current_dir(&home)
                        .env_clear()
                        .envs(&env)
                        .output()
                        .expect("go mod download");
                    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
                    let problem = match parse_gosumdb(value) {
                        Err(e) => (!stderr.contains(&e.to_string()))
                            .then(|| format!("goshim: {e}; go: {}", stderr.trim())),
                        Ok(SumDb::Off) => (!out.status.success())
                            .then(|| format!("goshim: off; go failed: {}", stderr.trim())),
                        Ok(SumDb::Db(spec)) => {
                            let url = spec.url.clone().unwrap_or_default();
                            (out.status.success() || !stderr.contains(&url))
                                .then(|| format!("goshim: {spec:?}; go: {}", stderr.trim()))
                        }
                    };
                    if let Some(p) = problem {
                        problems
                            .lock()
                            .expect("lock")
                            .push(format!("GOSUMDB={value:?}: {p}"));
                    }
                }
            });
        }
    });
    let problems = problems.into_inner().expect("lock");
    assert!(
        problems.is_empty(),
        "{} differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

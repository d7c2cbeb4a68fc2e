//! Go modules described in a test and built for real: the `.info`, `.mod` and `.zip` files a
//! module proxy serves (Go's module zip layout: every file under `path@version/`), `@v/list`,
//! `@latest`, and the same files written as a `$GOMODCACHE/cache/download` tree for `file://`
//! proxies.
//!
//! ```ignore
//! let m = Module::new("example.com/hello", "v1.0.0")
//!     .file("hello.go", "package hello\n\nfunc Hello() string { return \"hi\" }\n");
//! proxy.add(m);
//! ```

use std::cmp::Ordering;
use std::io::{Cursor, Write};
use std::path::Path;

use super::proxy::base64;

use sha2::{Digest, Sha256};
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

/// The module path of Go toolchains served through GOPROXY.
pub const TOOLCHAIN_MODULE: &str = "golang.org/toolchain";

/// The line [`Module::tampered`] (and a tampered `.mod`) gains.
pub const TAMPER_LINE: &str = "// tampered by the fixture proxy\n";

/// One version of one module.
#[derive(Clone, Debug)]
pub struct Module {
    path: String,
    version: String,
    time: String,
    go_mod: Option<String>,
    files: Vec<(String, Vec<u8>)>,
}

impl Module {
    /// A module with no files yet; its `go.mod` is `module <path>` + `go 1.21` unless a `go.mod`
    /// file or [`Module::go_mod`] says otherwise.
    pub fn new(path: &str, version: &str) -> Module {
        Module {
            path: path.to_string(),
            version: version.to_string(),
            time: "2024-01-02T03:04:05Z".to_string(),
            go_mod: None,
            files: Vec::new(),
        }
    }

    /// Adds a file (path relative to the module root, `/`-separated).
    pub fn file(mut self, name: &str, contents: impl Into<Vec<u8>>) -> Module {
        let contents = contents.into();
        if name == "go.mod" {
            self.go_mod = Some(String::from_utf8_lossy(&contents).into_owned());
        } else {
            self.files.push((name.to_string(), contents));
        }
        self
    }

    /// Sets the `go.mod` text (served as `.mod` and put in the zip).
    pub fn go_mod(mut self, text: &str) -> Module {
        self.go_mod = Some(text.to_string());
        self
    }

    /// Sets the commit time reported in `.info` (RFC 3339).
    pub fn time(mut self, rfc3339: &str) -> Module {
        self.time = rfc3339.to_string();
        self
    }

    /// A fake Go toolchain `golang.org/toolchain@v0.0.1-<go_version>.<GOOS>-<GOARCH>` for this
    /// machine (e.g. `go1.99.0`). Its `bin/go` is a shell script that prints
    /// `fake toolchain <go_version>`, its arguments (`args: ...`), its pid (`pid: N`) and then
    /// its environment (`env` output); then copies stdin to stdout when `FAKE_TOOLCHAIN_STDIN`
    /// is set, kills itself with `FAKE_TOOLCHAIN_SIGNAL` when set, and exits with
    /// `FAKE_TOOLCHAIN_EXIT` (default 0). It carries the minimal `lib/`, `pkg/tool/` and
    /// `src/_go.mod` that go's toolchain switch (`toolchain/select.go: Exec`) touches.
    pub fn toolchain(go_version: &str) -> Module {
        let script = format!(
            "#!/bin/sh\necho \"fake toolchain {go_version}\"\necho \"args: $*\"\necho \"pid: $$\"\nenv\n\
             if [ -n \"$FAKE_TOOLCHAIN_STDIN\" ]; then cat; fi\n\
             if [ -n \"$FAKE_TOOLCHAIN_SIGNAL\" ]; then kill -\"$FAKE_TOOLCHAIN_SIGNAL\" $$; sleep 5; fi\n\
             exit \"${{FAKE_TOOLCHAIN_EXIT:-0}}\"\n"
        );
        Module::new(TOOLCHAIN_MODULE, &toolchain_version(go_version))
            .go_mod("module golang.org/toolchain\n")
            .file("bin/go", script)
            .file("bin/gofmt", "#!/bin/sh\nexit 0\n")
            .file("lib/time/README", "fake toolchain\n")
            .file("pkg/tool/README", "fake toolchain\n")
            .file("src/_go.mod", "module std\n")
            .file(
                "VERSION",
                format!("{go_version}\ntime 2024-01-02T03:04:05Z\n"),
            )
    }

    /// The module path, e.g. `example.com/hello`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The version, e.g. `v1.0.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The `.info` document: `{"Version":..,"Time":..}`.
    pub fn info_json(&self) -> String {
        info_json(&self.version, &self.time)
    }

    /// The `.mod` file.
    pub fn mod_file(&self) -> String {
        match &self.go_mod {
            Some(text) => text.clone(),
            None => format!("module {}\n\ngo 1.21\n", self.path),
        }
    }

    /// The module zip: `go.mod` and every file under `<path>@<version>/`, stored uncompressed.
    pub fn zip_bytes(&self) -> Vec<u8> {
        let prefix = format!("{}@{}/", self.path, self.version);
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .unix_permissions(0o644);
        let go_mod = self.mod_file().into_bytes();
        let entries = std::iter::once(("go.mod", go_mod.as_slice()))
            .chain(self.files.iter().map(|(n, c)| (n.as_str(), c.as_slice())));
        for (name, contents) in entries {
            zip.start_file(format!("{prefix}{name}"), options)
                .expect("start a zip entry");
            zip.write_all(contents).expect("write a zip entry");
        }
        zip.finish().expect("finish the module zip").into_inner()
    }

    /// The two `go.sum` lines for this module (`h1:` hashes of the zip's files and of the
    /// `.mod`, as `golang.org/x/mod/sumdb/dirhash.Hash1` computes them).
    pub fn go_sum(&self) -> String {
        let prefix = format!("{}@{}/", self.path, self.version);
        let go_mod = self.mod_file().into_bytes();
        let mut files: Vec<(String, &[u8])> = std::iter::once(("go.mod", go_mod.as_slice()))
            .chain(self.files.iter().map(|(n, c)| (n.as_str(), c.as_slice())))
            .map(|(n, c)| (format!("{prefix}{n}"), c))
            .collect();
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let zip_hash = hash1(files.iter().map(|(n, c)| (n.as_str(), *c)));
        let mod_hash = hash1(std::iter::once(("go.mod", go_mod.as_slice())));
        format!(
            "{path} {v} {zip_hash}\n{path} {v}/go.mod {mod_hash}\n",
            path = self.path,
            v = self.version
        )
    }

    /// A copy whose zip holds other bytes (and so another `h1:` hash): its first file gets
    /// [`TAMPER_LINE`] appended, or, with no file besides `go.mod`, a file `TAMPERED` is added.
    /// The `go.mod` is unchanged.
    pub fn tampered(&self) -> Module {
        let mut copy = self.clone();
        match copy.files.first_mut() {
            Some((_, contents)) => contents.extend_from_slice(TAMPER_LINE.as_bytes()),
            None => copy
                .files
                .push(("TAMPERED".to_string(), TAMPER_LINE.as_bytes().to_vec())),
        }
        copy
    }

    /// The path of this module's files under a proxy root, e.g. `example.com/!my!mod/@v/`.
    pub fn escaped_dir(&self) -> String {
        format!("{}/@v/", escape_path(&self.path))
    }
}

/// `v0.0.1-go1.99.0.linux-amd64` for `go1.99.0` on this machine.
pub fn toolchain_version(go_version: &str) -> String {
    format!("v0.0.1-{go_version}.{}-{}", goos(), goarch())
}

/// Go's name for this OS.
pub fn goos() -> &'static str {
    match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    }
}

/// Go's name for this architecture.
pub fn goarch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// `dirhash.Hash1` over (name, contents) pairs already sorted by name.
fn hash1<'a>(files: impl Iterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut summary = String::new();
    for (name, contents) in files {
        let digest = Sha256::digest(contents);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        summary.push_str(&format!("{hex}  {name}\n"));
    }
    format!("h1:{}", base64(&Sha256::digest(summary.as_bytes())))
}

fn info_json(version: &str, time: &str) -> String {
    serde_json::json!({ "Version": version, "Time": time }).to_string()
}

/// Go's case escaping of module paths and versions for proxy URLs and the module cache:
/// every upper-case letter becomes `!` and its lower-case form (`github.com/!burnt!sushi`).
pub fn escape_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if c.is_ascii_uppercase() {
            out.push('!');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The inverse of [`escape_path`]; `None` for an invalid escape (`!` not before `a`-`z`, or an
/// upper-case letter).
pub fn unescape_path(escaped: &str) -> Option<String> {
    let mut out = String::with_capacity(escaped.len());
    let mut chars = escaped.chars();
    while let Some(c) = chars.next() {
        match c {
            '!' => match chars.next() {
                Some(l) if l.is_ascii_lowercase() => out.push(l.to_ascii_uppercase()),
                _ => return None,
            },
            c if c.is_ascii_uppercase() => return None,
            c => out.push(c),
        }
    }
    Some(out)
}

/// A file a module proxy serves.
#[derive(Debug, PartialEq, Eq)]
pub struct Served {
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

/// What a proxy request path (without the leading `/`) asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum ProxyRequest {
    List { module: String },
    Latest { module: String },
    Info { module: String, version: String },
    Mod { module: String, version: String },
    Zip { module: String, version: String },
}

impl ProxyRequest {
    /// Parses `<escaped module>/@v/list`, `/@v/<v>.info|.mod|.zip` or `/@latest`.
    pub fn parse(path: &str) -> Option<ProxyRequest> {
        let path = path.split('?').next().unwrap_or(path);
        if let Some(module) = path.strip_suffix("/@latest") {
            return Some(ProxyRequest::Latest {
                module: unescape_path(module)?,
            });
        }
        let (module, file) = path.split_once("/@v/")?;
        let module = unescape_path(module)?;
        if file == "list" {
            return Some(ProxyRequest::List { module });
        }
        let (version, ext) = file.rsplit_once('.')?;
        let version = unescape_path(version)?;
        Some(match ext {
            "info" => ProxyRequest::Info { module, version },
            "mod" => ProxyRequest::Mod { module, version },
            "zip" => ProxyRequest::Zip { module, version },
            _ => return None,
        })
    }

    /// The module path asked for.
    pub fn module(&self) -> &str {
        match self {
            ProxyRequest::List { module }
            | ProxyRequest::Latest { module }
            | ProxyRequest::Info { module, .. }
            | ProxyRequest::Mod { module, .. }
            | ProxyRequest::Zip { module, .. } => module,
        }
    }
}

/// A set of modules, answering proxy requests.
#[derive(Clone, Debug, Default)]
pub struct ModuleSet {
    modules: Vec<Module>,
}

impl ModuleSet {
    pub fn new() -> ModuleSet {
        ModuleSet::default()
    }

    /// Adds a module version (replacing an earlier one with the same path and version).
    pub fn add(&mut self, module: Module) {
        self.modules
            .retain(|m| !(m.path == module.path && m.version == module.version));
        self.modules.push(module);
    }

    pub fn modules(&self) -> &[Module] {
        &self.modules
    }

    /// The module `path@version`, if the set holds it.
    pub fn find(&self, path: &str, version: &str) -> Option<&Module> {
        self.modules
            .iter()
            .find(|m| m.path == path && m.version == version)
    }

    fn versions(&self, path: &str) -> Vec<&Module> {
        let mut found: Vec<&Module> = self.modules.iter().filter(|m| m.path == path).collect();
        found.sort_by(|a, b| compare_versions(&a.version, &b.version));
        found
    }

    /// The file for a request path (without the leading `/`), or `None` (a 404).
    pub fn serve(&self, path: &str) -> Option<Served> {
        let json = |body: String| Served {
            content_type: "application/json",
            body: body.into_bytes(),
        };
        match ProxyRequest::parse(path)? {
            ProxyRequest::List { module } => {
                let versions = self.versions(&module);
                if versions.is_empty() {
                    return None;
                }
                let body: String = versions
                    .iter()
                    .map(|m| format!("{}\n", m.version))
                    .collect();
                Some(Served {
                    content_type: "text/plain; charset=utf-8",
                    body: body.into_bytes(),
                })
            }
            ProxyRequest::Latest { module } => {
                self.versions(&module).last().map(|m| json(m.info_json()))
            }
            ProxyRequest::Info { module, version } => {
                self.find(&module, &version).map(|m| json(m.info_json()))
            }
            ProxyRequest::Mod { module, version } => self.find(&module, &version).map(|m| Served {
                content_type: "text/plain; charset=utf-8",
                body: m.mod_file().into_bytes(),
            }),
            ProxyRequest::Zip { module, version } => self.find(&module, &version).map(|m| Served {
                content_type: "application/zip",
                body: m.zip_bytes(),
            }),
        }
    }

    /// Writes every module as a `$GOMODCACHE/cache/download` tree under `dir`
    /// (`<escaped path>/@v/{list,<v>.info,<v>.mod,<v>.zip}`), usable as `GOPROXY=file://<dir>`.
    pub fn write_download_dir(&self, dir: &Path) -> std::io::Result<()> {
        for m in &self.modules {
            let vdir = dir.join(m.escaped_dir());
            std::fs::create_dir_all(&vdir)?;
            let stem = escape_path(&m.version);
            std::fs::write(vdir.join(format!("{stem}.info")), m.info_json())?;
            std::fs::write(vdir.join(format!("{stem}.mod")), m.mod_file())?;
            std::fs::write(vdir.join(format!("{stem}.zip")), m.zip_bytes())?;
            let list: String = self
                .versions(&m.path)
                .iter()
                .map(|v| format!("{}\n", v.version))
                .collect();
            std::fs::write(vdir.join("list"), list)?;
        }
        Ok(())
    }
}

impl FromIterator<Module> for ModuleSet {
    fn from_iter<I: IntoIterator<Item = Module>>(iter: I) -> ModuleSet {
        let mut set = ModuleSet::new();
        for m in iter {
            set.add(m);
        }
        set
    }
}

/// Semantic-version order as Go sorts `@v/list` (enough for fixture versions:
/// `vMAJOR.MINOR.PATCH[-pre][+build]`, a pre-release before its release).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    fn parts(v: &str) -> (Vec<u64>, Option<&str>) {
        let v = v.trim_start_matches('v');
        let v = v.split('+').next().unwrap_or(v);
        let (core, pre) = match v.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (v, None),
        };
        let nums = core.split('.').map(|n| n.parse().unwrap_or(0)).collect();
        (nums, pre)
    }
    let (an, ap) = parts(a);
    let (bn, bp) = parts(b);
    an.cmp(&bn).then_with(|| match (ap, bp) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(y),
    })
}

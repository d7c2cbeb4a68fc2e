//! A hand parser for go.mod and go.work, following x/mod `modfile` (lexer in read.go,
//! directives in rule.go and work.go). Malformed input gives an error naming `file:line:col`.

use std::fmt;

use super::gourl::go_quote;
use super::module;
use super::semver;

/// A `require` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Require {
    pub path: String,
    pub version: String,
    /// Marked `// indirect`.
    pub indirect: bool,
}

/// A `replace` line: `old [version] => new [version]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub old_path: String,
    pub old_version: Option<String>,
    pub new_path: String,
    /// `None` when the replacement is a local directory.
    pub new_version: Option<String>,
}

/// A `retract` line: one version (`low == high`) or an interval `[low, high]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retract {
    pub low: String,
    pub high: String,
}

/// The parsed content of a go.mod or go.work file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModFile {
    /// `module` path (go.mod only).
    pub module: Option<String>,
    /// `go` version line.
    pub go: Option<String>,
    /// `toolchain` line.
    pub toolchain: Option<String>,
    pub requires: Vec<Require>,
    pub replaces: Vec<Replace>,
    /// `exclude` lines as (path, version).
    pub excludes: Vec<(String, String)>,
    pub retracts: Vec<Retract>,
    /// `godebug key=value` lines.
    pub godebug: Vec<(String, String)>,
    pub tools: Vec<String>,
    pub ignores: Vec<String>,
    /// `use` directories (go.work only), as written.
    pub uses: Vec<String>,
}

impl ModFile {
    /// modfile's `removeDups` (what `go mod edit` applies before printing): repeated
    /// `exclude`, `tool` and `ignore` lines keep the first, repeated replacements of the same
    /// module@version keep the last (later replacements take priority).
    pub fn remove_dups(&mut self) {
        let mut seen = std::collections::HashSet::new();
        self.excludes.retain(|e| seen.insert(e.clone()));
        let mut seen = std::collections::HashSet::new();
        let mut keep: Vec<bool> = self
            .replaces
            .iter()
            .rev()
            .map(|r| seen.insert((r.old_path.clone(), r.old_version.clone())))
            .collect();
        keep.reverse();
        let mut keep = keep.into_iter();
        self.replaces.retain(|_| keep.next().unwrap_or(true));
        for list in [&mut self.tools, &mut self.ignores] {
            let mut seen = std::collections::HashSet::new();
            list.retain(|p| seen.insert(p.clone()));
        }
    }
}

/// Which grammar to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModFileKind {
    GoMod,
    GoWork,
}

/// A syntax or directive error at `file:line:col` (line and column are 1-based, column in
/// characters, as modfile reports).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ModFileError {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub msg: String,
}

impl fmt::Display for ModFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.msg)
    }
}

/// Parses a go.mod file; `file` names it in errors.
pub fn parse_go_mod(file: &str, text: &str) -> Result<ModFile, ModFileError> {
    parse(file, text, ModFileKind::GoMod)
}

/// Parses a go.work file; `file` names it in errors.
pub fn parse_go_work(file: &str, text: &str) -> Result<ModFile, ModFileError> {
    parse(file, text, ModFileKind::GoWork)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pos {
    line: usize,
    col: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Newline,
    Eof,
    /// A comment alone on its line.
    Comment,
    /// A comment after tokens on its line.
    EolComment,
    Punct(char),
    Str,
    Ident,
}

impl Kind {
    fn is_eol(&self) -> bool {
        matches!(self, Kind::Newline | Kind::Eof | Kind::EolComment)
    }
}

#[derive(Debug, Clone)]
struct Token {
    kind: Kind,
    text: String,
    pos: Pos,
}

struct Lexer<'a> {
    file: &'a str,
    chars: Vec<char>,
    i: usize,
    pos: Pos,
    line_has_token: bool,
}

impl Lexer<'_> {
    fn err(&self, pos: Pos, msg: impl Into<String>) -> ModFileError {
        ModFileError {
            file: self.file.to_string(),
            line: pos.line,
            col: pos.col,
            msg: msg.into(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars()
            .enumerate()
            .all(|(k, c)| self.chars.get(self.i + k) == Some(&c))
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.i += 1;
        if c == '\n' {
            self.pos = Pos {
                line: self.pos.line + 1,
                col: 1,
            };
        } else {
            self.pos.col += 1;
        }
        Some(c)
    }

    fn is_ident(c: char) -> bool {
        !matches!(c, ' ' | '(' | ')' | '[' | ']' | '{' | '}' | ',')
            && !c.is_whitespace()
            && !c.is_control()
    }

    fn next(&mut self) -> Result<Token, ModFileError> {
        while let Some(c) = self.peek() {
            if matches!(c, ' ' | '\t' | '\r') {
                self.bump();
                continue;
            }
            if self.starts_with("//") {
                let pos = self.pos;
                let start = self.i;
                while let Some(c) = self.peek() {
                    if c == '\n' {
                        break;
                    }
                    self.bump();
                }
                let text: String = self.chars[start..self.i].iter().collect();
                let kind = if self.line_has_token {
                    Kind::EolComment
                } else {
                    // The comment's newline belongs to it, as in modfile.
                    self.bump();
                    Kind::Comment
                };
                return Ok(Token { kind, text, pos });
            }
            if self.starts_with("/*") {
                return Err(self.err(
                    self.pos,
                    "mod files must use // comments (not /* */ comments)",
                ));
            }
            break;
        }
        let pos = self.pos;
        let Some(c) = self.peek() else {
            return Ok(Token {
                kind: Kind::Eof,
                text: String::new(),
                pos,
            });
        };
        let start = self.i;
        let kind = match c {
            '\n' => {
                self.bump();
                self.line_has_token = false;
                return Ok(Token {
                    kind: Kind::Newline,
                    text: "\n".into(),
                    pos,
                });
            }
            '(' | ')' | '[' | ']' | '{' | '}' | ',' => {
                self.bump();
                Kind::Punct(c)
            }
            '"' | '`' => {
                self.bump();
                loop {
                    match self.peek() {
                        None => return Err(self.err(pos, "unexpected EOF in string")),
                        Some('\n') => {
                            return Err(self.err(self.pos, "unexpected newline in string"));
                        }
                        Some(_) => {}
                    }
                    let ch = self.bump();
                    if ch == Some(c) {
                        break;
                    }
                    if ch == Some('\\') && c != '`' {
                        if self.peek().is_none() {
                            return Err(self.err(pos, "unexpected EOF in string"));
                        }
                        self.bump();
                    }
                }
                Kind::Str
            }
            c if Self::is_ident(c) => {
                while let Some(c) = self.peek() {
                    if !Self::is_ident(c) || self.starts_with("//") {
                        break;
                    }
                    if self.starts_with("/*") {
                        return Err(self.err(
                            self.pos,
                            "mod files must use // comments (not /* */ comments)",
                        ));
                    }
                    self.bump();
                }
                Kind::Ident
            }
            c => {
                return Err(self.err(
                    pos,
                    format!("unexpected input character '{}'", c.escape_default()),
                ));
            }
        };
        self.line_has_token = true;
        Ok(Token {
            kind,
            text: self.chars[start..self.i].iter().collect(),
            pos,
        })
    }
}

/// One directive line: its tokens (verb first for top-level lines), position and any
/// end-of-line comment.
struct Line {
    tokens: Vec<String>,
    pos: Pos,
    comment: Option<String>,
}

enum Stmt {
    Line(Line),
    Block {
        verb: Vec<String>,
        pos: Pos,
        lines: Vec<Line>,
    },
}

struct Parser<'a> {
    lex: Lexer<'a>,
    peeked: Option<Token>,
}

impl Parser<'_> {
    fn peek(&mut self) -> Result<&Token, ModFileError> {
        let tok = match self.peeked.take() {
            Some(t) => t,
            None => self.lex.next()?,
        };
        Ok(self.peeked.insert(tok))
    }

    fn take(&mut self) -> Result<Token, ModFileError> {
        match self.peeked.take() {
            Some(t) => Ok(t),
            None => self.lex.next(),
        }
    }

    fn file(&mut self) -> Result<Vec<Stmt>, ModFileError> {
        let mut stmts = Vec::new();
        loop {
            match self.peek()?.kind {
                Kind::Newline | Kind::Comment | Kind::EolComment => {
                    self.take()?;
                }
                Kind::Eof => return Ok(stmts),
                _ => stmts.push(self.stmt()?),
            }
        }
    }

    /// Reads tokens up to the end of the line; returns them and the trailing comment.
    fn rest_of_line(&mut self, tokens: &mut Vec<String>) -> Result<Option<String>, ModFileError> {
        loop {
            let tok = self.take()?;
            match tok.kind {
                Kind::EolComment => {
                    if self.peek()?.kind == Kind::Newline {
                        self.take()?;
                    }
                    return Ok(Some(tok.text));
                }
                Kind::Newline | Kind::Eof => return Ok(None),
                _ => tokens.push(tok.text),
            }
        }
    }

    fn stmt(&mut self) -> Result<Stmt, ModFileError> {
        let first = self.take()?;
        let pos = first.pos;
        let mut tokens = vec![first.text];
        loop {
            if self.peek()?.kind.is_eol() {
                let comment = self.rest_of_line(&mut tokens)?;
                return Ok(Stmt::Line(Line {
                    tokens,
                    pos,
                    comment,
                }));
            }
            let tok = self.take()?;
            match tok.kind {
                Kind::Punct('(') => {
                    let next = self.peek()?.kind.clone();
                    if next.is_eol() {
                        return self.block(tokens, pos);
                    }
                    if next == Kind::Punct(')') {
                        let rparen = self.take()?;
                        if self.peek()?.kind.is_eol() {
                            self.rest_of_line(&mut Vec::new())?;
                            return Ok(Stmt::Block {
                                verb: tokens,
                                pos,
                                lines: Vec::new(),
                            });
                        }
                        tokens.push(tok.text);
                        tokens.push(rparen.text);
                    } else {
                        tokens.push(tok.text);
                    }
                }
                _ => tokens.push(tok.text),
            }
        }
    }

    fn block(&mut self, verb: Vec<String>, pos: Pos) -> Result<Stmt, ModFileError> {
        self.rest_of_line(&mut Vec::new())?;
        let mut lines = Vec::new();
        loop {
            let tok = self.peek()?.clone();
            match tok.kind {
                Kind::EolComment | Kind::Newline | Kind::Comment => {
                    self.take()?;
                }
                Kind::Eof => {
                    return Err(self.lex.err(
                        tok.pos,
                        format!(
                            "syntax error (unterminated block started at {}:{}:{})",
                            self.lex.file, pos.line, pos.col
                        ),
                    ));
                }
                Kind::Punct(')') => {
                    self.take()?;
                    let after = self.peek()?.clone();
                    if !after.kind.is_eol() {
                        // modfile reports where the lexer stands: after the offending token.
                        return Err(self.lex.err(
                            self.lex.pos,
                            "syntax error (expected newline after closing paren)",
                        ));
                    }
                    self.rest_of_line(&mut Vec::new())?;
                    return Ok(Stmt::Block { verb, pos, lines });
                }
                _ => {
                    let first = self.take()?;
                    let mut tokens = vec![first.text];
                    let comment = self.rest_of_line(&mut tokens)?;
                    lines.push(Line {
                        tokens,
                        pos: first.pos,
                        comment,
                    });
                }
            }
        }
    }
}

fn parse(file: &str, text: &str, kind: ModFileKind) -> Result<ModFile, ModFileError> {
    let mut parser = Parser {
        lex: Lexer {
            file,
            chars: text.chars().collect(),
            i: 0,
            pos: Pos { line: 1, col: 1 },
            line_has_token: false,
        },
        peeked: None,
    };
    let stmts = parser.file()?;
    let mut out = ModFile::default();
    let err = |pos: Pos, msg: String| ModFileError {
        file: file.to_string(),
        line: pos.line,
        col: pos.col,
        msg,
    };
    let block_verbs: &[&str] = match kind {
        ModFileKind::GoMod => &[
            "module", "godebug", "require", "exclude", "replace", "retract", "tool", "ignore",
        ],
        ModFileKind::GoWork => &["use", "replace", "godebug"],
    };
    for stmt in stmts {
        match stmt {
            Stmt::Line(line) => {
                let verb = line.tokens[0].clone();
                add(&mut out, kind, &verb, &line.tokens[1..], &line)
                    .map_err(|m| err(line.pos, m))?;
            }
            Stmt::Block { verb, pos, lines } => {
                if verb.len() > 1 || !block_verbs.contains(&verb[0].as_str()) {
                    return Err(err(pos, format!("unknown block type: {}", verb.join(" "))));
                }
                for line in &lines {
                    add(&mut out, kind, &verb[0], &line.tokens, line)
                        .map_err(|m| err(line.pos, m))?;
                }
            }
        }
    }
    Ok(out)
}

/// One directive, as `modfile.(*File).add` / `(*WorkFile).add` handle it.
fn add(
    f: &mut ModFile,
    kind: ModFileKind,
    verb: &str,
    args: &[String],
    line: &Line,
) -> Result<(), String> {
    let one = |what: &str| -> Result<String, String> {
        if args.len() != 1 {
            return Err(format!("{what} directive expects exactly one argument"));
        }
        parse_string(&args[0]).map_err(|e| format!("invalid quoted string: {e}"))
    };
    match (kind, verb) {
        (_, "go") => {
            if f.go.is_some() {
                return Err("repeated go statement".into());
            }
            if args.len() != 1 {
                return Err("go directive expects exactly one argument".into());
            }
            if !is_go_version(&args[0]) {
                return Err(format!(
                    "invalid go version '{}': must match format 1.23.0",
                    args[0]
                ));
            }
            f.go = Some(args[0].clone());
        }
        (_, "toolchain") => {
            if f.toolchain.is_some() {
                return Err("repeated toolchain statement".into());
            }
            if args.len() != 1 {
                return Err("toolchain directive expects exactly one argument".into());
            }
            let t = &args[0];
            if !(t == "default" || t == "go1" || t.starts_with("go1.")) {
                return Err(format!(
                    "invalid toolchain version '{t}': must match format go1.23.0 or default"
                ));
            }
            f.toolchain = Some(t.clone());
        }
        (_, "godebug") => {
            let arg = match args {
                [a] if !a.contains(['"', '`', '\'', ',']) => a,
                _ => return Err("usage: godebug key=value".into()),
            };
            let (k, v) = arg.split_once('=').ok_or("usage: godebug key=value")?;
            f.godebug.push((k.to_string(), v.to_string()));
        }
        (_, "replace") => f.replaces.push(parse_replace(args)?),
        (ModFileKind::GoMod, "module") => {
            if f.module.is_some() {
                return Err("repeated module statement".into());
            }
            if args.len() != 1 {
                return Err("usage: module module/path".into());
            }
            let p = parse_string(&args[0]).map_err(|e| format!("invalid quoted string: {e}"))?;
            f.module = Some(p);
        }
        (ModFileKind::GoMod, "require" | "exclude") => {
            if args.len() != 2 {
                return Err(format!("usage: {verb} module/path v1.2.3"));
            }
            let path = parse_string(&args[0]).map_err(|e| format!("invalid quoted string: {e}"))?;
            let version = parse_version(verb, &path, &args[1])?;
            let path_major = module::path_major(&path).ok_or("invalid module path")?;
            check_path_major(verb, &path, &version, path_major)?;
            if verb == "require" {
                let indirect = line.comment.as_deref().is_some_and(is_indirect);
                f.requires.push(Require {
                    path,
                    version,
                    indirect,
                });
            } else {
                f.excludes.push((path, version));
            }
        }
        (ModFileKind::GoMod, "retract") => {
            let (r, rest) = parse_version_interval(args)?;
            if let Some(extra) = rest.first() {
                return Err(format!(
                    "unexpected token after version: {}",
                    go_quote(extra)
                ));
            }
            f.retracts.push(r);
        }
        (ModFileKind::GoMod, "tool") => f.tools.push(one("tool")?),
        (ModFileKind::GoMod, "ignore") => f.ignores.push(one("ignore")?),
        (ModFileKind::GoWork, "use") => f.uses.push(match args {
            [a] => parse_string(a).map_err(|e| format!("invalid quoted string: {e}"))?,
            _ => return Err("usage: use local/dir".into()),
        }),
        _ => return Err(format!("unknown directive: {verb}")),
    }
    Ok(())
}

fn is_indirect(comment: &str) -> bool {
    let c = comment.trim_start_matches("//").trim();
    c == "indirect" || c.starts_with("indirect;")
}

/// `modfile.GoVersionRE`: `^([1-9][0-9]*)\.(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))?([a-z]+[0-9]+)?$`.
pub fn is_go_version(v: &str) -> bool {
    fn num(s: &str, zero_ok: bool) -> Option<&str> {
        let n = s.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 || (s.as_bytes()[0] == b'0' && (n > 1 || !zero_ok)) {
            return None;
        }
        Some(&s[n..])
    }
    let Some(rest) = num(v, false) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix('.').and_then(|r| num(r, true)) else {
        return false;
    };
    let rest = match rest.strip_prefix('.') {
        Some(r) => match num(r, true) {
            Some(r) => r,
            None => return false,
        },
        None => rest,
    };
    if rest.is_empty() {
        return true;
    }
    let letters = rest.bytes().take_while(u8::is_ascii_lowercase).count();
    let digits = rest[letters..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    letters > 0 && digits > 0 && letters + digits == rest.len()
}

/// modfile's `Error` prefix for a directive: `verb path: ` or `verb: `.
fn directive(verb: &str, path: &str) -> String {
    if path.is_empty() {
        format!("{verb}: ")
    } else {
        format!("{verb} {path}: ")
    }
}

/// `parseVersion` without a fixer (as `go mod edit` parses): the version must be a semantic
/// version and is stored in canonical form (`v1.2` → `v1.2.0`).
fn parse_version(verb: &str, path: &str, v: &str) -> Result<String, String> {
    let t = parse_string(v).map_err(|e| {
        format!(
            "{}version {} invalid: {e}",
            directive(verb, path),
            go_quote(v)
        )
    })?;
    semver::canonical_version(&t).ok_or_else(|| {
        format!(
            "{}version {} invalid: must be of the form v1.2.3",
            directive(verb, path),
            go_quote(&t)
        )
    })
}

/// `module.CheckPathMajor`, with modfile's error wrapping.
fn check_path_major(verb: &str, path: &str, v: &str, path_major: &str) -> Result<(), String> {
    let mut want = path_major.trim_end_matches("-unstable").to_string();
    if v.starts_with("v0.0.0-") && want == ".v1" {
        return Ok(());
    }
    let m = semver::major(v);
    if want.is_empty() {
        if m == "v0" || m == "v1" || semver::build(v) == "+incompatible" {
            return Ok(());
        }
        want = "v0 or v1".into();
    } else if want.starts_with(['/', '.']) {
        if m == want[1..] {
            return Ok(());
        }
        want.remove(0);
    }
    Err(format!(
        "{}version {} invalid: should be {want}, not {m}",
        directive(verb, path),
        go_quote(v)
    ))
}

/// `parseVersionInterval`: `v` or `[low, high]`; returns the tokens after it.
fn parse_version_interval(toks: &[String]) -> Result<(Retract, &[String]), String> {
    let verb = "retract";
    match toks.first().map(String::as_str) {
        None | Some("(") => return Err("expected '[' or version".into()),
        Some("[") => {}
        Some(v) => {
            let v = parse_version(verb, "", v)?;
            let r = Retract {
                low: v.clone(),
                high: v,
            };
            return Ok((r, &toks[1..]));
        }
    }
    let toks = &toks[1..];
    let low = parse_version(verb, "", toks.first().ok_or("expected version after '['")?)?;
    let toks = &toks[1..];
    if toks.first().map(String::as_str) != Some(",") {
        return Err("expected ',' after version".into());
    }
    let toks = &toks[1..];
    let high = parse_version(verb, "", toks.first().ok_or("expected version after ','")?)?;
    let toks = &toks[1..];
    if toks.first().map(String::as_str) != Some("]") {
        return Err("expected ']' after version".into());
    }
    Ok((Retract { low, high }, &toks[1..]))
}

/// modfile's `IsDirectoryPath`, for Unix and Windows spellings.
fn is_local_path(p: &str) -> bool {
    let b = p.as_bytes();
    p == "."
        || p.starts_with("./")
        || p.starts_with(".\\")
        || p == ".."
        || p.starts_with("../")
        || p.starts_with("..\\")
        || p.starts_with('/')
        || p.starts_with('\\')
        || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

fn parse_replace(args: &[String]) -> Result<Replace, String> {
    let usage = "usage: replace module/path [v1.2.3] => other/module v1.4\n\t or replace module/path [v1.2.3] => ../local/directory";
    let arrow = if args.len() >= 2 && args[1] == "=>" {
        1
    } else {
        2
    };
    if args.len() < arrow + 2 || args.len() > arrow + 3 || args[arrow] != "=>" {
        return Err(usage.into());
    }
    let quoted = |s: &str| parse_string(s).map_err(|e| format!("invalid quoted string: {e}"));
    let old_path = quoted(&args[0])?;
    let path_major = module::path_major(&old_path)
        .ok_or(format!("replace {old_path}: invalid module path"))?
        .to_string();
    let old_version = if arrow == 2 {
        let v = parse_version("replace", &old_path, &args[1])?;
        check_path_major("replace", &old_path, &v, &path_major)?;
        Some(v)
    } else {
        None
    };
    let new_path = quoted(&args[arrow + 1])?;
    let new_version = if args.len() == arrow + 2 {
        if !is_local_path(&new_path) {
            if new_path.contains('@') {
                return Err(
                    "replacement module must match format 'path version', not 'path@version'"
                        .into(),
                );
            }
            return Err("replacement module without version must be directory path (rooted or starting with . or ..)".into());
        }
        if cfg!(unix) && new_path.contains('\\') {
            return Err(
                "replacement directory appears to be Windows path (on a non-windows system)".into(),
            );
        }
        None
    } else {
        let v = parse_version("replace", &new_path, &args[arrow + 2])?;
        if is_local_path(&new_path) {
            return Err(format!(
                "replacement module directory path {} cannot have version",
                go_quote(&new_path)
            ));
        }
        Some(v)
    };
    Ok(Replace {
        old_path,
        old_version,
        new_path,
        new_version,
    })
}

/// modfile's `parseString`: a `"…"` string is unquoted as Go's `strconv.Unquote` does; any
/// other token is taken as is but may not contain a quote (so `` `…` `` is rejected).
fn parse_string(s: &str) -> Result<String, String> {
    let Some(body) = s.strip_prefix('"') else {
        if s.contains(['"', '\'', '`']) {
            return Err("unquoted string cannot contain quote".into());
        }
        return Ok(s.to_string());
    };
    let body = body.strip_suffix('"').ok_or("invalid syntax")?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Err("invalid syntax".into()),
            '\\' => {
                let e = chars.next().ok_or("invalid syntax")?;
                let code =
                    |chars: &mut std::str::Chars, n: usize, radix: u32| -> Result<u32, String> {
                        let digits: String = chars.by_ref().take(n).collect();
                        if digits.chars().count() != n {
                            return Err("invalid syntax".into());
                        }
                        u32::from_str_radix(&digits, radix)
                            .map_err(|_| "invalid syntax".to_string())
                    };
                let ch = match e {
                    'a' => '\u{7}',
                    'b' => '\u{8}',
                    'f' => '\u{c}',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'v' => '\u{b}',
                    '\\' => '\\',
                    '"' => '"',
                    'x' => char::from_u32(code(&mut chars, 2, 16)?).ok_or("invalid syntax")?,
                    'u' => char::from_u32(code(&mut chars, 4, 16)?).ok_or("invalid syntax")?,
                    'U' => char::from_u32(code(&mut chars, 8, 16)?).ok_or("invalid syntax")?,
                    '0'..='7' => {
                        let rest = code(&mut chars, 2, 8)?;
                        let v = (e as u32 - '0' as u32) * 64 + rest;
                        if v > 255 {
                            return Err("invalid syntax".into());
                        }
                        char::from_u32(v).ok_or("invalid syntax")?
                    }
                    _ => return Err("invalid syntax".into()),
                };
                out.push(ch);
            }
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

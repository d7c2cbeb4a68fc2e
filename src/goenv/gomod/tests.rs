//! Unit tests of `gomod`.

use super::*;

const REAL: &str = r#"// A real-looking go.mod.
module "example.com/my mod" // quoted path

go 1.22.3
toolchain go1.23.1

godebug (
	default=go1.21
	panicnil=1
)
godebug asynctimerchan=0

require golang.org/x/text v0.3.0
require (
	github.com/a/b v1.2.3 // indirect
	"github.com/c/d" v0.0.0-20240101000000-abcdef123456
	example.com/e v1.0.0 // indirect; kept for tests
)

replace (
	example.com/old => ../old
	example.com/x v1.0.0 => example.com/y v1.1.0
)
replace example.com/z => /abs/z

exclude example.com/bad v0.1.0

retract v1.0.1 // published by mistake
retract [v1.1.0, v1.2.0]
retract (
	v2.0.0
	[v2.1.0, v2.1.5] // security
)

tool golang.org/x/tools/cmd/stringer
ignore ./node_modules
ignore (
	./third_party/js
)
"#;

#[test]
fn parses_everything_real_files_contain() {
    let m = parse_go_mod("go.mod", REAL).expect("valid go.mod");
    assert_eq!(m.module.as_deref(), Some("example.com/my mod"));
    assert_eq!(m.go.as_deref(), Some("1.22.3"));
    assert_eq!(m.toolchain.as_deref(), Some("go1.23.1"));
    assert_eq!(m.godebug.len(), 3);
    assert_eq!(m.godebug[1], ("panicnil".into(), "1".into()));
    let req: Vec<(&str, bool)> = m
        .requires
        .iter()
        .map(|r| (r.path.as_str(), r.indirect))
        .collect();
    assert_eq!(
        req,
        [
            ("golang.org/x/text", false),
            ("github.com/a/b", true),
            ("github.com/c/d", false),
            ("example.com/e", true)
        ]
    );
    assert_eq!(
        m.replaces[0],
        Replace {
            old_path: "example.com/old".into(),
            old_version: None,
            new_path: "../old".into(),
            new_version: None
        }
    );
    assert_eq!(m.replaces[1].old_version.as_deref(), Some("v1.0.0"));
    assert_eq!(m.replaces[1].new_version.as_deref(), Some("v1.1.0"));
    assert_eq!(m.replaces[2].new_path, "/abs/z");
    assert_eq!(
        m.excludes,
        [("example.com/bad".to_string(), "v0.1.0".to_string())]
    );
    assert_eq!(m.retracts.len(), 4);
    assert_eq!(
        m.retracts[1],
        Retract {
            low: "v1.1.0".into(),
            high: "v1.2.0".into()
        }
    );
    assert_eq!(m.tools, ["golang.org/x/tools/cmd/stringer"]);
    assert_eq!(m.ignores, ["./node_modules", "./third_party/js"]);
}

#[test]
fn remove_dups_like_modfile() {
    let mut m = parse_go_mod(
            "go.mod",
            "module m\nexclude x.com/a v1.0.0\nexclude x.com/a v1.0.0\nreplace x.com/b => ./one\nreplace x.com/c => ./c\nreplace x.com/b => ./two\ntool x.com/t\ntool x.com/t\n",
        )
        .expect("valid");
    m.remove_dups();
    assert_eq!(m.excludes.len(), 1);
    let news: Vec<&str> = m.replaces.iter().map(|r| r.new_path.as_str()).collect();
    assert_eq!(news, ["./c", "./two"]);
    assert_eq!(m.tools, ["x.com/t"]);
}

#[test]
fn parses_go_work() {
    let w = parse_go_work(
            "go.work",
            "go 1.22\n\nuse (\n\t./a\n\t\"./b c\" // spaced\n)\nuse ./d\nreplace example.com/x => ./x\ngodebug default=go1.21\n",
        )
        .expect("valid go.work");
    assert_eq!(w.go.as_deref(), Some("1.22"));
    assert_eq!(w.uses, ["./a", "./b c", "./d"]);
    assert_eq!(w.replaces.len(), 1);
}

#[test]
fn empty_and_comment_only_files() {
    assert_eq!(parse_go_mod("go.mod", ""), Ok(ModFile::default()));
    assert_eq!(
        parse_go_mod("go.mod", "// just a comment"),
        Ok(ModFile::default())
    );
    let m = parse_go_mod("go.mod", "module m\nrequire ()\n").expect("empty block");
    assert!(m.requires.is_empty());
}

#[test]
fn errors_carry_positions() {
    let rows: &[(ModFileKind, &str, &str)] = &[
        (
            ModFileKind::GoMod,
            "module m\nfoo bar\n",
            "go.mod:2:1: unknown directive: foo",
        ),
        (
            ModFileKind::GoMod,
            "module m\ngo 1.22.x\n",
            "go.mod:2:1: invalid go version '1.22.x': must match format 1.23.0",
        ),
        (
            ModFileKind::GoMod,
            "module m\ngo 1.21\ngo 1.22\n",
            "go.mod:3:1: repeated go statement",
        ),
        (
            ModFileKind::GoMod,
            "module m\nrequire (\n\tx.com/a\n)\n",
            "go.mod:3:2: usage: require module/path v1.2.3",
        ),
        (
            ModFileKind::GoMod,
            "module m\nrequire (\n\tx.com/a v1.0.0\n",
            "go.mod:4:1: syntax error (unterminated block started at go.mod:2:1)",
        ),
        (
            ModFileKind::GoMod,
            "module \"m\n",
            "go.mod:1:10: unexpected newline in string",
        ),
        (
            ModFileKind::GoMod,
            "module m /* x */\n",
            "go.mod:1:10: mod files must use // comments (not /* */ comments)",
        ),
        (
            ModFileKind::GoMod,
            "module m\ntoolchain 1.22\n",
            "go.mod:2:1: invalid toolchain version '1.22': must match format go1.23.0 or default",
        ),
        (
            ModFileKind::GoMod,
            "module m\nreplace a => b\n",
            "go.mod:2:1: replacement module without version must be directory path (rooted or starting with . or ..)",
        ),
        (
            ModFileKind::GoMod,
            "module m\nretract [v1, v2\n",
            "go.mod:2:1: expected ']' after version",
        ),
        (
            ModFileKind::GoMod,
            "module m\nrequire x.com/a master\n",
            "go.mod:2:1: require x.com/a: version \"master\" invalid: must be of the form v1.2.3",
        ),
        (
            ModFileKind::GoMod,
            "module m\nrequire (\n\tx.com/a v2.0.0\n)\n",
            "go.mod:3:2: require x.com/a: version \"v2.0.0\" invalid: should be v0 or v1, not v2",
        ),
        (
            ModFileKind::GoMod,
            "module m\nexclude x.com/a/v2 v1.0.0\n",
            "go.mod:2:1: exclude x.com/a/v2: version \"v1.0.0\" invalid: should be v2, not v1",
        ),
        (
            ModFileKind::GoMod,
            "module m\nrequire x.com/a/v1 v1.0.0\n",
            "go.mod:2:1: invalid module path",
        ),
        (
            ModFileKind::GoMod,
            "module m\nretract v1.0\nretract bad\n",
            "go.mod:3:1: retract: version \"bad\" invalid: must be of the form v1.2.3",
        ),
        (
            ModFileKind::GoMod,
            "module `m`\n",
            "go.mod:1:1: invalid quoted string: unquoted string cannot contain quote",
        ),
        (
            ModFileKind::GoMod,
            "module m\nrequire (\n) x\n",
            "go.mod:3:4: syntax error (expected newline after closing paren)",
        ),
        (
            ModFileKind::GoMod,
            "module m\nmodule n\n",
            "go.mod:2:1: repeated module statement",
        ),
        (
            ModFileKind::GoMod,
            "module m\nuse ./a\n",
            "go.mod:2:1: unknown directive: use",
        ),
        (
            ModFileKind::GoMod,
            "module m\ngo (\n\t1.21\n)\n",
            "go.mod:2:1: unknown block type: go",
        ),
        (
            ModFileKind::GoMod,
            "module \"a\\q\"\n",
            "go.mod:1:1: invalid quoted string: invalid syntax",
        ),
        (
            ModFileKind::GoWork,
            "go 1.22\nmodule m\n",
            "go.work:2:1: unknown directive: module",
        ),
        (
            ModFileKind::GoWork,
            "go 1.22\nuse a b\n",
            "go.work:2:1: usage: use local/dir",
        ),
    ];
    for &(kind, text, want) in rows {
        let name = if kind == ModFileKind::GoMod {
            "go.mod"
        } else {
            "go.work"
        };
        let got = parse(name, text, kind).map_err(|e| e.to_string());
        assert_eq!(got, Err(want.to_string()), "{text:?}");
    }
}

#[test]
fn go_version_regex() {
    for (v, ok) in [
        ("1.21", true),
        ("1.21.0", true),
        ("1.22rc1", true),
        ("1.21.3beta2", true),
        ("1.0", true),
        ("1", false),
        ("01.2", false),
        ("1.02", false),
        ("1.2.", false),
        ("1.2rc", false),
        ("1.2.3.4", false),
        ("v1.2", false),
        ("1.2RC1", false),
        ("", false),
    ] {
        assert_eq!(is_go_version(v), ok, "{v}");
    }
}

/// No input panics, and every error names a position inside the file.
#[test]
fn fuzz_no_panic_and_positions() {
    let mut rng = crate::goenv::testgen::XorShift::new(0x90d);
    let words = [
        "module",
        "go",
        "require",
        "replace",
        "retract",
        "use",
        "toolchain",
        "godebug",
        "tool",
        "ignore",
        "exclude",
        "=>",
        "(",
        ")",
        "[",
        "]",
        ",",
        "\n",
        "//",
        "\"",
        "`",
        "v1.0.0",
        "1.22",
        "./a",
        "x.com/y",
        " ",
        "\t",
        "/*",
        "\\",
    ];
    for i in 0..6000 {
        let mut text = String::new();
        for _ in 0..rng.below(24) {
            if rng.below(4) == 0 {
                text.push_str(&rng.junk(3));
            } else {
                text.push_str(words[rng.below(words.len())]);
                text.push(' ');
            }
        }
        let kind = if i % 2 == 0 {
            ModFileKind::GoMod
        } else {
            ModFileKind::GoWork
        };
        if let Err(e) = parse("f", &text, kind) {
            let lines = text.split('\n').count();
            assert!(e.line >= 1 && e.line <= lines, "{e} for {text:?}");
            assert!(e.col >= 1, "{e} for {text:?}");
        }
    }
}

//! Unit tests of `project`.

use super::*;
use crate::goenv::env::EnvSources;
use std::collections::HashMap;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(std::string::ToString::to_string).collect()
}

#[test]
fn chdir_flag_positions() {
    let cwd = Path::new("/w");
    type Row<'a> = (&'a [&'a str], &'a str, &'a [&'a str], &'a [&'a str]);
    let rows: &[Row] = &[
        (
            &["build", "-C", "sub", "./..."],
            "/w/sub",
            &["build"],
            &["./..."],
        ),
        (&["-C", "/abs", "build"], "/abs", &["build"], &[]),
        (&["-C=../x", "mod", "tidy"], "/x", &["mod", "tidy"], &[]),
        (&["mod", "tidy", "--C=d"], "/w/d", &["mod", "tidy"], &[]),
        (&["mod", "--C", "d", "tidy"], "/w/d", &["mod", "tidy"], &[]),
        (
            &["build", "-v", "-C", "d"],
            "/w",
            &["build"],
            &["-v", "-C", "d"],
        ),
        (&["build", "-C"], "/w", &["build"], &["-C"]),
        (&["version"], "/w", &["version"], &[]),
        (&[], "/w", &[], &[]),
    ];
    for &(argv, dir, cmd, rest) in rows {
        let inv = parse_invocation(cwd, &s(argv));
        assert_eq!(inv.dir, PathBuf::from(dir), "{argv:?}");
        assert_eq!(inv.command, s(cmd), "{argv:?}");
        assert_eq!(inv.args, s(rest), "{argv:?}");
    }
}

#[test]
fn argv_and_goflags_never_panic() {
    let mut rng = crate::goenv::testgen::XorShift::new(0xc1);
    let words = [
        "-C", "--C", "-C=", "mod", "tidy", "build", "-mod", "-mod=", "test", "-args", "--", "-o",
        "x",
    ];
    for _ in 0..5000 {
        let argv: Vec<String> = (0..rng.below(6))
            .map(|_| {
                if rng.below(3) == 0 {
                    rng.junk(4)
                } else {
                    words[rng.below(words.len())].to_string()
                }
            })
            .collect();
        let inv = parse_invocation(Path::new("/w"), &argv);
        assert!(inv.command.len() + inv.args.len() <= argv.len());
        let _ = explicit_mod(&inv, &rng.junk(12));
        let _ = check_goflags(&rng.junk(12));
    }
}

#[test]
fn goflags_split() {
    assert_eq!(
        split_goflags("  -a  '-ldflags=-s -w' \"-x\" "),
        Ok(s(&["-a", "-ldflags=-s -w", "-x"]))
    );
    assert_eq!(
        split_goflags("-ldflags='-s -w'"),
        Ok(s(&["-ldflags='-s", "-w'"]))
    );
    assert_eq!(split_goflags(""), Ok(vec![]));
    assert_eq!(split_goflags("-a '-b"), Err("unterminated ' string".into()));
    let rows = [
        ("", Ok(())),
        ("-mod=mod --x '-ldflags=-s -w'", Ok(())),
        ("first", Err("go: parsing $GOFLAGS: non-flag \"first\"")),
        ("-x -", Err("go: parsing $GOFLAGS: non-flag \"-\"")),
        ("---x", Err("go: parsing $GOFLAGS: non-flag \"---x\"")),
        ("-=x", Err("go: parsing $GOFLAGS: non-flag \"-=x\"")),
        ("\"-x", Err("go: parsing $GOFLAGS: unterminated \" string")),
    ];
    for (input, want) in rows {
        assert_eq!(
            check_goflags(input),
            want.map_err(String::from),
            "{input:?}"
        );
    }
}

#[test]
fn explicit_mod_sources() {
    let rows: &[(&[&str], &str, Option<&str>)] = &[
        (&["build", "-mod=vendor", "."], "", Some("vendor")),
        (&["build", "-mod", "mod", "."], "-mod=vendor", Some("mod")),
        (&["build", "."], "-mod=vendor -x", Some("vendor")),
        (&["build", ".", "-mod=mod"], "", None),
        (&["test", ".", "-mod=mod"], "", Some("mod")),
        (&["test", ".", "-args", "-mod=mod"], "", None),
        (&["run", ".", "-mod=mod"], "", None),
        (&["build", "-o", "-mod=x", "."], "", None),
        (
            &["build", "-buildvcs", "-mod=vendor", "."],
            "",
            Some("vendor"),
        ),
        (
            &["test", "-json", "-run", "-mod=x", ".", "-mod=mod"],
            "",
            Some("mod"),
        ),
        (&["get", "x@v1"], "-mod=mod", None),
        (&["mod", "download"], "-mod=vendor", None),
        (&["list", "--mod=readonly"], "", Some("readonly")),
    ];
    for &(argv, goflags, want) in rows {
        let inv = parse_invocation(Path::new("/w"), &s(argv));
        assert_eq!(
            explicit_mod(&inv, goflags).as_deref(),
            want,
            "{argv:?} GOFLAGS={goflags:?}"
        );
    }
}

fn env(pairs: &[(&str, &str)]) -> GoEnv {
    GoEnv::from_sources(EnvSources {
        process: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<HashMap<_, _>>(),
        goroot: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
        ..EnvSources::default()
    })
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("has parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

#[test]
fn layouts() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let root = tmp.path();
    write(root, "m/go.mod", "module example.com/m\n\ngo 1.21\n");
    write(root, "m/vendor/modules.txt", "# nothing\n");
    write(root, "old/go.mod", "module example.com/old\ngo 1.13\n");
    std::fs::create_dir_all(root.join("old/vendor")).expect("mkdir");
    write(root, "w/go.work", "go 1.22\nuse (\n\t./a\n\t./b\n)\n");
    write(root, "w/a/go.mod", "module example.com/a\ngo 1.22\n");
    write(root, "w/b/go.mod", "module example.com/b\ngo 1.22\n");
    write(root, "w/vendor/modules.txt", "## workspace\n");
    std::fs::create_dir_all(root.join("dirmod/go.mod")).expect("mkdir");
    write(root, "bad/go.mod", "module x\nrequire (\n");
    let temp = tempfile::tempdir().expect("tempdir");
    let run = |dir: &str, argv: &[&str], vars: &[(&str, &str)]| {
        let env = env(vars);
        let ctx = ProjectContext {
            env: &env,
            go_version: "1.27.3",
            temp_dir: temp.path(),
        };
        inspect(&root.join(dir), &s(argv), &ctx)
    };
    let p = run("m", &["build", "./..."], &[]).expect("m");
    assert_eq!(p.layout.gomod, Some(root.join("m/go.mod")));
    assert_eq!(
        p.module.as_ref().and_then(|m| m.module.as_deref()),
        Some("example.com/m")
    );
    assert!(p.vendor_mode());
    assert_eq!(
        run("m", &["build", "-mod=mod"], &[]).expect("m").build_mod,
        BuildMod::Mod
    );
    assert_eq!(
        run("m", &["build"], &[("GOFLAGS", "-mod=readonly")])
            .expect("m")
            .build_mod,
        BuildMod::Readonly
    );
    assert_eq!(
        run("m", &["mod", "tidy"], &[]).expect("m").build_mod,
        BuildMod::Mod
    );
    assert_eq!(
        run("old", &["build"], &[]).expect("old").build_mod,
        BuildMod::Readonly
    );
    let w = run("w/a", &["-C", "..", "build"], &[]).expect("w");
    assert_eq!(w.layout.work_file, WorkFile::File(root.join("w/go.work")));
    let ws = w.workspace.as_ref().expect("workspace");
    let paths: Vec<_> = ws
        .modules
        .iter()
        .map(|m| m.module_path.as_deref())
        .collect();
    assert_eq!(paths, [Some("example.com/a"), Some("example.com/b")]);
    assert_eq!(w.layout.gomod, None);
    assert!(w.vendor_mode());
    assert_eq!(w.go_line(), Some("1.22"));
    let wa = run("w/a", &["build"], &[]).expect("w/a");
    assert_eq!(wa.layout.gomod, Some(root.join("w/a/go.mod")));
    assert!(matches!(
        run("w/a", &["build", "-mod=mod"], &[])
            .expect("w/a")
            .build_mod,
        BuildMod::Invalid(_)
    ));
    let off = run("w/a", &["build"], &[("GOWORK", "off")]).expect("off");
    assert_eq!(off.layout.work_file, WorkFile::Off);
    assert!(off.workspace.is_none());
    assert!(!off.vendor_mode());
    assert!(matches!(
        run("w/a", &["build"], &[("GOWORK", "rel/go.work")]),
        Err(ProjectError::GoworkNotAbsolute)
    ));
    let auto = run("", &["build"], &[("GO111MODULE", "auto")]).expect("auto");
    assert!(!auto.layout.modules_enabled);
    assert_eq!(auto.layout.gomod, None);
    let on = run("dirmod", &["build"], &[]).expect("dirmod");
    assert!(on.layout.modules_enabled);
    assert_eq!(on.layout.gomod, None);
    assert!(matches!(
        run("m", &["build"], &[("GO111MODULE", "bogus")]),
        Err(ProjectError::BadGo111Module(_))
    ));
    let err = run("bad", &["build"], &[]).expect_err("bad go.mod");
    assert!(
        err.to_string().contains("go.mod:3:1: syntax error"),
        "{err}"
    );
    assert!(matches!(
        run("m", &["-C", "nope", "build"], &[]),
        Err(ProjectError::Chdir { .. })
    ));
}

#[test]
fn temp_root_go_mod_is_ignored() {
    let tmp = tempfile::tempdir().expect("tempdir");
    write(tmp.path(), "go.mod", "module t\n");
    std::fs::create_dir_all(tmp.path().join("sub")).expect("mkdir");
    let env = env(&[]);
    let ctx = ProjectContext {
        env: &env,
        go_version: "1.27.3",
        temp_dir: tmp.path(),
    };
    let p = inspect(&tmp.path().join("sub"), &s(&["build"]), &ctx).expect("inspect");
    assert!(p.layout.modules_enabled);
    assert_eq!(p.layout.gomod, None);
}

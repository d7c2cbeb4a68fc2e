//! A sandbox for running goshim as a user would: a temp root with a home and a project
//! directory, goshim linked as `go` first on PATH with the real go after it, a hermetic
//! environment, and the system config pointed into the root.

use std::path::PathBuf;

use super::{realgo, shim};

pub struct Sandbox {
    pub tmp: tempfile::TempDir,
    /// The temp root, canonical (so paths in outputs compare equal).
    pub root: PathBuf,
    /// `root/proj`, created.
    pub proj: PathBuf,
    /// `root/shim/go`, linked to goshim.
    pub link: PathBuf,
    /// The environment every run gets.
    pub env: Vec<(String, String)>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let proj = root.join("proj");
        std::fs::create_dir_all(&proj).unwrap();
        let shim_dir = root.join("shim");
        let link = shim::link_as_go(&shim_dir);
        let mut env = realgo::hermetic_env(&root.join("home"));
        for (k, v) in &mut env {
            if k == "PATH" {
                *v = format!("{}:{v}", shim_dir.display());
            }
        }
        env.push((
            "GOSHIM_SYSTEM_CONFIG".into(),
            root.join("etc/goshim/config.toml").display().to_string(),
        ));
        Sandbox {
            tmp,
            root,
            proj,
            link,
            env,
        }
    }
}

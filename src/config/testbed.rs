//! Test support for loading and merging: a directory tree with system, user and project files
//! and a trust store, loaded as the shim would.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::schema::SourcedList;
use super::trust::TrustStore;
use super::{LoadInput, Loaded, Origin, load};

pub const SYS: &str = "etc/goshim/config.toml";
pub const USER: &str = "config/goshim/config.toml";
pub const OUTER: &str = "home/.gomodrc";
pub const PROJ: &str = "home/proj/.gomodrc";

/// A directory tree with system, user and project files, and a trust store.
pub struct Bed {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub input: LoadInput,
}

impl Bed {
    pub fn new() -> Bed {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().canonicalize().unwrap();
        let dir = root.join("home/proj/sub");
        std::fs::create_dir_all(&dir).unwrap();
        let input = LoadInput {
            dir,
            env: BTreeMap::new(),
            system_config: root.join(SYS),
            user_config: Some(root.join(USER)),
            trust_store: Some(root.join("data/goshim/trust.json")),
            user: super::load::effective_user(),
        };
        Bed {
            _tmp: tmp,
            root,
            input,
        }
    }

    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn set(&mut self, var: &str, value: &str) {
        self.input.env.insert(var.into(), value.into());
    }

    pub fn trust(&self, rel: &str) {
        let path = self.root.join(rel);
        let (mut store, _) = TrustStore::load(self.input.trust_store.as_ref().unwrap());
        store.trust(path.clone(), &std::fs::read(&path).unwrap());
        store.save().unwrap();
    }

    pub fn load(&self) -> Loaded {
        load(&self.input).unwrap()
    }

    pub fn at(&self, rel: &str, line: usize) -> Origin {
        Origin::File {
            path: self.root.join(rel),
            line,
        }
    }
}

/// The values of a list.
pub fn urls(list: &SourcedList) -> Vec<&str> {
    list.value.iter().map(|s| s.value.as_str()).collect()
}

//! The test bed: the `World` a test runs goshim in (`world`), the real Go toolchain, a fake `go`
//! that reports what it received, helpers to run goshim, fixture Go modules (`modules`), the
//! fixture GOPROXY server (`proxy`) and a fixture checksum database (`sumdb`).

#![allow(dead_code)] // each test module uses its own part of the bed

pub mod bounded;
pub mod fake_go;
pub mod http;
pub mod modules;
pub mod proxy;
pub mod realgo;
pub mod rng;
pub mod shim;
pub mod snap;
pub mod sumdb;
pub mod world;

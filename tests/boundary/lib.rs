//! wimproof's modules below `assess`, `policy` and `report`, compiled alone
//! (see Cargo.toml beside this file). A `use crate::policy` (or report,
//! assess, native, web) anywhere in them fails this crate's build.
#![allow(dead_code, unused_imports)]

#[path = "../../src/codec/mod.rs"]
pub mod codec;
#[path = "../../src/format/mod.rs"]
pub mod format;
#[path = "../../src/read.rs"]
pub mod read;
#[path = "../../src/verify/mod.rs"]
pub mod verify;

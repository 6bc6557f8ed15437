//! wimproof verifies WIM (Windows Imaging Format) files and says on which
//! deployment targets they are safe to multicast.
//!
//! Data flow, one direction:
//! 1. [`verify::open`] reads the small structures by random access through
//!    [`read::ReadAt`] and plans independent tasks over byte ranges;
//! 2. a driver (the native thread pool, or browser workers) feeds the file's
//!    bytes, read once in order, to [`verify::Lane`]s that run the tasks;
//! 3. [`verify::Verifier::finish`] merges findings, and [`policy`] turns them
//!    into a verdict per deployment target, in one [`report::Report`].
//!
//! [`input`] turns what a user hands a driver (files, a checksum list,
//! options) into what the core verifies, the same for both drivers.
//!
//! `format` knows bytes and layouts; `codec` one chunk at a time; `verify`
//! plans, tasks and findings; only `native` and `web` do I/O.

pub mod codec;
pub mod format;
pub mod input;
pub mod policy;
pub mod read;
pub mod report;
pub mod verify;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod web;

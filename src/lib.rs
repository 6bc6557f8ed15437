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
//! [`medium`] lists the files of install media (UDF, ISO 9660) and reads
//! one of them through [`read::ReadAt`], so a WIM inside an ISO is verified
//! in place.
//!
//! [`editions`] is the editions table (what `dism /Get-WimInfo` lists) of
//! a report.
//!
//! `format` knows bytes and layouts; `codec` one chunk at a time; `verify`
//! plans, tasks and findings; only `native` and `web` do I/O.

pub mod codec;
pub mod editions;
pub mod format;
pub mod medium;
pub mod policy;
pub mod read;
pub mod report;
pub mod verify;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod web;

//! wimproof verifies WIM (Windows Imaging Format) files and says on which
//! deployment targets they are safe to multicast.
//!
//! Data flow, one direction:
//! 1. [`verify::open`] reads the small structures by random access through
//!    [`read::ReadAt`] and plans independent tasks over byte ranges;
//! 2. a driver (the native thread pool, or browser workers) feeds the file's
//!    bytes, read once in order, to [`verify::Lane`]s that run the tasks;
//! 3. [`verify::Verifier::finish`] merges the lanes' results into an
//!    [`verify::outcome::Outcome`] (findings, facts, counts), where
//!    verification ends;
//! 4. [`assess`] has [`policy`] judge the outcome for every deployment
//!    target and assembles the one [`report::Report`].
//!
//! [`medium`] lists the files of install media (UDF, ISO 9660) and reads
//! one of them through [`read::ReadAt`], so a WIM inside an ISO is verified
//! in place.
//!
//! [`input`] turns what a user hands a driver (files, a checksum list,
//! options) into what the core verifies, the same for both drivers.
//!
//! [`editions`] is the editions table (what `dism /Get-WimInfo` lists) of
//! a report.
//!
//! `format` knows bytes and layouts; `codec` one chunk at a time; `verify`
//! plans, tasks and findings and cannot name `policy`, `report` or `assess`
//! (tests/boundary.rs builds it without them); only `native` and `web` do
//! I/O.

pub mod assess;
pub mod codec;
pub mod editions;
pub mod format;
pub mod input;
pub mod medium;
pub mod policy;
pub mod read;
pub mod report;
pub mod verify;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
#[cfg(target_arch = "wasm32")]
pub mod web;

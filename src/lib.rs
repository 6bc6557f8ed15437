//! wimproof: verifies WIM files.
pub mod codec;

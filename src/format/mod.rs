//! On-disk structures of the WIM format, one module per structure: how to
//! decode the bytes, and the named limits that keep hostile values from
//! costing unbounded memory. Nothing here hashes, judges or reads files.

pub mod blob_table;
pub(crate) mod bytes;
pub mod foreign;
pub mod header;
pub mod integrity;
pub mod metadata;
pub mod reshdr;
pub mod resource;
pub mod xml;

pub use bytes::{hex, parse_hex};

//! [`ReadAt`] over a browser `Blob` (or `File`), read synchronously with
//! `FileReaderSync`, which exists only in dedicated workers.
//!
//! Offsets cross into JavaScript as `f64`: `Blob.slice` takes Numbers, and
//! every integer up to 2^53 is exact in one. The `i32` variants of the
//! web-sys bindings would wrap at 2 GiB, so they are never used.

use crate::read::{ReadAt, ReadError};
use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
use web_sys::{Blob, FileReaderSync};

/// Largest integer a JavaScript Number holds exactly (2^53 - 1). Offsets
/// above it cannot be passed to `Blob.slice` without rounding.
pub const MAX_SAFE_OFFSET: u64 = (1 << 53) - 1;

/// A `Blob` read by absolute offset.
pub struct BlobReader {
    blob: Blob,
    size: u64,
    reader: FileReaderSync,
}

impl BlobReader {
    /// Fails outside a dedicated worker (no `FileReaderSync` there).
    pub fn new(blob: Blob) -> Result<BlobReader, JsValue> {
        let size = f64_to_offset(blob.size()).ok_or_else(|| {
            JsValue::from_str("the file's size is not a whole number of bytes below 2^53")
        })?;
        let reader = FileReaderSync::new()?;
        Ok(BlobReader { blob, size, reader })
    }
}

impl ReadAt for BlobReader {
    fn size(&self) -> u64 {
        self.size
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<(), ReadError> {
        let len = buf.len() as u64;
        let end = match offset.checked_add(len) {
            Some(end) if end <= self.size => end,
            _ => return Err(ReadError::new(offset, len, "past the end of the file")),
        };
        if len == 0 {
            return Ok(());
        }
        // `end <= size <= MAX_SAFE_OFFSET`, so both convert to f64 exactly.
        let slice = self
            .blob
            .slice_with_f64_and_f64(offset as f64, end as f64)
            .map_err(|e| ReadError::new(offset, len, js_error_text(&e)))?;
        let data = self
            .reader
            .read_as_array_buffer(&slice)
            .map_err(|e| ReadError::new(offset, len, js_error_text(&e)))?;
        let bytes = Uint8Array::new(&data);
        if bytes.length() as u64 != len {
            return Err(ReadError::new(
                offset,
                len,
                format!(
                    "got {} bytes: the file changed or was truncated while reading",
                    bytes.length()
                ),
            ));
        }
        bytes.copy_to(buf);
        Ok(())
    }
}

/// A JavaScript Number as a file offset: finite, whole, 0 ..= 2^53 - 1.
pub fn f64_to_offset(v: f64) -> Option<u64> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= MAX_SAFE_OFFSET as f64 {
        Some(v as u64)
    } else {
        None
    }
}

/// The text of a thrown JavaScript value: `Name: message` for errors
/// (`NotReadableError: ...` when the file vanished or changed).
pub fn js_error_text(e: &JsValue) -> String {
    use wasm_bindgen::JsCast;
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        let name = String::from(err.name());
        let msg = String::from(err.message());
        if msg.is_empty() {
            name
        } else {
            format!("{name}: {msg}")
        }
    } else if let Some(s) = e.as_string() {
        s
    } else {
        // DOMException is not a js_sys::Error in every engine; read its
        // fields generically.
        let get = |k: &str| {
            js_sys::Reflect::get(e, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_string())
        };
        match (get("name"), get("message")) {
            (Some(n), Some(m)) => format!("{n}: {m}"),
            (Some(n), None) => n,
            (None, Some(m)) => m,
            (None, None) => "the browser refused to read the file".into(),
        }
    }
}

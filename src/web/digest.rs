//! A streaming SHA-256 for the benchmark's floor (`tests/browser/bench.mjs`):
//! a worker that only reads the file and hashes it, with the same SHA-256
//! code the lanes use, to measure what the verifier's pipeline costs on top.

use sha2::{Digest, Sha256 as Sha256Core};
use wasm_bindgen::prelude::*;

/// SHA-256 over bytes given in pieces.
#[wasm_bindgen]
pub struct Sha256 {
    inner: Option<Sha256Core>,
}

#[wasm_bindgen]
impl Sha256 {
    #[wasm_bindgen(constructor)]
    pub fn new() -> Sha256 {
        Sha256 {
            inner: Some(Sha256Core::new()),
        }
    }

    /// Adds the next piece.
    pub fn update(&mut self, data: &[u8]) -> Result<(), JsValue> {
        let h = self
            .inner
            .as_mut()
            .ok_or_else(|| JsValue::from_str("already finished"))?;
        h.update(data);
        Ok(())
    }

    /// The digest as 64 lowercase hex digits; the hasher is spent.
    pub fn finish(&mut self) -> Result<String, JsValue> {
        let h = self
            .inner
            .take()
            .ok_or_else(|| JsValue::from_str("already finished"))?;
        Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
    }
}

impl Default for Sha256 {
    fn default() -> Self {
        Self::new()
    }
}

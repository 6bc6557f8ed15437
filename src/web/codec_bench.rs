//! The decoder benchmark's wasm side (feature `codec-bench`, never in the
//! page's build): one corpus (see `codec::bench`) held in wasm memory and
//! decoded on request; `tests/browser/codec-bench.mjs` times the calls in a
//! Chromium worker.

use crate::codec::bench::{Bench, Corpus};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
pub struct CodecBench {
    bytes: Vec<u8>,
    bench: Bench,
}

#[wasm_bindgen]
impl CodecBench {
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: Vec<u8>) -> Result<CodecBench, JsError> {
        let c = Corpus::parse(&bytes).map_err(JsError::new)?;
        let bench = Bench::new(c.codec, c.max_chunk).ok_or_else(|| JsError::new("no decoder"))?;
        Ok(CodecBench { bytes, bench })
    }

    /// Decodes every chunk and checks the output's SHA-1 against the
    /// corpus's; returns the bytes decoded.
    pub fn verify(&mut self) -> Result<f64, JsError> {
        let c = Corpus::parse(&self.bytes).map_err(JsError::new)?;
        let (n, h) = self
            .bench
            .run(&c, true)
            .map_err(|e| JsError::new(e.detail))?;
        if h != Some(c.sha1) {
            return Err(JsError::new("decoded bytes differ from the corpus's SHA-1"));
        }
        Ok(n as f64)
    }

    /// Decodes every chunk once; returns the bytes decoded.
    pub fn run(&mut self) -> Result<f64, JsError> {
        let c = Corpus::parse(&self.bytes).map_err(JsError::new)?;
        let (n, _) = self
            .bench
            .run(&c, false)
            .map_err(|e| JsError::new(e.detail))?;
        Ok(n as f64)
    }
}

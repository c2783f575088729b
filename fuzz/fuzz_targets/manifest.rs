//! cargo-fuzz entry point for the manifest harness (the checks live in `fuzz/harness/manifest.rs`).
#![no_main]

#[path = "../harness/manifest.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));

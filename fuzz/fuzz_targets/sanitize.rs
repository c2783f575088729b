//! cargo-fuzz entry point for the sanitize harness (the checks live in `fuzz/harness/sanitize.rs`).
#![no_main]

#[path = "../harness/sanitize.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));

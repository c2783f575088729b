//! cargo-fuzz entry point for the image_ref harness (the checks live in `fuzz/harness/image_ref.rs`).
#![no_main]

#[path = "../harness/image_ref.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));

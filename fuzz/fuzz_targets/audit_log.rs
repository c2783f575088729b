//! cargo-fuzz entry point for the audit_log harness (the checks live in `fuzz/harness/audit_log.rs`).
#![no_main]

#[path = "../harness/audit_log.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));

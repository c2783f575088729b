//! cargo-fuzz entry point for the kubeconfig harness (the checks live in `fuzz/harness/kubeconfig.rs`).
#![no_main]

#[path = "../harness/kubeconfig.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::check(data));

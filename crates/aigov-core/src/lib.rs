//! aigov's core: the snapshot model, manifest loading, the sanitiser for untrusted text, and
//! the pure rules with their typed findings and catalog. No async runtime, no Kubernetes or
//! HTTP client, no terminal UI: everything here is a function of its inputs.

pub mod digest;
pub mod manifest;
pub mod model;
pub mod rules;
pub mod sanitize;

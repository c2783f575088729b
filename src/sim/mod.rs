//! A Kubernetes API simulator on loopback, with a built-in demo AI platform.

pub mod demo;
pub mod protobuf;
pub mod scale;

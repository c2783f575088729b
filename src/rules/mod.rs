//! Pure analysis rules: functions from a snapshot to findings, with no I/O.

pub mod rbac;

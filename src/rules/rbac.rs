//! RBAC evaluation (being written).

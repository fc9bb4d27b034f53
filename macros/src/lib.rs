//! The `#[migrations("…")]` attribute of retort. An implementation detail of
//! the `retort` crate: depend on `retort` and write `#[retort::migrations]`.
//!
//! The attribute itself arrives with the macro issue; this crate exists so
//! that the workspace has its final shape.

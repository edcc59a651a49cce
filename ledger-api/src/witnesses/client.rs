//! The witness client (see the parent module).

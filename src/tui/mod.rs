//! The terminal dashboard (to be written).

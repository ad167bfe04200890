//! Logging (to be written).

//! The eMAG simulator (to be written).

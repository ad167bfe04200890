//! The eMAG Marketplace HTTP client (to be written).

//! The terminal dashboard: state and `update()` in [`app`], each tab's state and keys in
//! [`tabs`], I/O in [`effects`], drawing in
//! [`views`] (one file per tab or popup), keys in [`keymap`], colours in [`theme`].

pub mod alerts;
pub mod app;
pub mod effects;
pub mod engine_backend;
pub mod error;
#[doc(hidden)]
#[cfg(any(test, feature = "testing"))]
pub mod fixture;
pub mod jobs;
pub mod keymap;
pub mod layout;
pub mod palette;
pub mod run;
pub mod tabs;
pub mod text;
pub mod theme;
pub mod views;

pub use app::{App, Effect, Msg};

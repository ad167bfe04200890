//! Each tab's state and how it changes, one file per tab, free of the rest of the dashboard:
//! `app/` wires them into `update()` (keys, effects, toasts), `views/` draws them.

pub mod buybox;
pub mod changes;
pub mod connections;
pub mod history;
pub mod products;
pub mod sync;

//! Every integration test, in one binary so the suite links once. Each module is one area:
//! the engine, the store and the CLI against the simulator over real sockets, on SQLite and
//! Postgres; the dashboard rendered to a test backend and driven in tmux.

mod edits_support;
mod emag_support;
mod sim_support;

mod alerts;
mod cli_manners;
mod cli_sync;
mod config;
mod daemon;
mod docs;
mod edits_cli;
mod edits_conflicts;
mod edits_preview;
mod edits_push;
mod edits_settle;
mod emag_client;
mod engine_sync;
mod health;
mod metrics;
mod ops_cli;
mod price_intel;
mod product_index;
mod reliability;
mod reliability_cli;
mod reliability_push;
mod report;
mod sim_behaviour;
mod sim_client;
mod sim_faults;
mod sim_protocol;
mod sim_saves;
mod store;
mod tui_alerts;
mod tui_buybox;
mod tui_changes;
mod tui_fit;
mod tui_health;
mod tui_jobs;
mod tui_palette;
mod tui_push;
mod tui_render;
mod tui_state;
mod tui_tmux;

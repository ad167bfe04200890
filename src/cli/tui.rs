//! `magsync` without a subcommand: the dashboard on the configured accounts and store.

use crate::config::{Account, Config};
use crate::error::Failure;
use crate::model::SyncOptions;
use crate::store::Store;
use crate::tui::app::{AccountInfo, App};
use crate::tui::engine_backend::DashboardEngine;
use crate::tui::keymap::Keymap;
use crate::tui::theme::Theme;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct TuiArgs {
    /// Let the mouse wheel scroll (off by default so the terminal's own selection works).
    #[arg(long)]
    pub mouse: bool,
    /// No colours (also when NO_COLOR is set); glyphs and words keep the meaning.
    #[arg(long)]
    pub no_color: bool,
}

/// What the dashboard shows of an account; the password never leaves the config.
pub fn account_info(a: &Account) -> AccountInfo {
    AccountInfo {
        name: a.name.clone(),
        platform: a
            .platform
            .map(|p| p.code().to_string())
            .unwrap_or_else(|| "—".into()),
        // Shown on the Connections tab only; the client gets the account itself.
        base_url: crate::config::mask_url(&a.base_url),
        username: a.username.clone().unwrap_or_else(|| "—".into()),
        items_per_page: a.items_per_page,
        max_pages: a.max_pages,
    }
}

/// The keymap and theme, with `keymap.toml` / `theme.toml` from the config dir applied.
pub fn load_look(config: &Config, args: &TuiArgs) -> Result<(Keymap, Theme), Failure> {
    let mut keymap = Keymap::default();
    let mut theme = Theme::default();
    let dir = &config.paths.config_dir;
    let read = |name: &str| -> Result<Option<(String, String)>, Failure> {
        let path = dir.join(name);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some((text, path.display().to_string()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Failure::usage(format!(
                "cannot read {}: {e}",
                path.display()
            ))),
        }
    };
    if let Some((text, origin)) = read("keymap.toml")? {
        keymap.apply_toml(&text, &origin).map_err(Failure::usage)?;
    }
    if let Some((text, origin)) = read("theme.toml")? {
        theme.apply_toml(&text, &origin).map_err(Failure::usage)?;
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if args.no_color || no_color {
        theme.color = false;
    }
    Ok((keymap, theme))
}

/// Opens the dashboard and blocks until the user quits.
pub async fn open(
    config: &Config,
    accounts: &[Account],
    store: Store,
    engine: impl DashboardEngine,
    args: &TuiArgs,
) -> anyhow::Result<u8> {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return Err(Failure::usage(
            "the dashboard needs a terminal; use a subcommand (see `magsync --help`) for scripts",
        )
        .into());
    }
    let (keymap, theme) = load_look(config, args)?;
    let defaults = SyncOptions {
        items_per_page: config.settings.items_per_page,
        include_inactive: config.settings.include_inactive,
        conflict_strategy: config.settings.conflict_strategy,
        ..SyncOptions::default()
    };
    let now = chrono::Utc::now();
    let tz = *chrono::Local::now().offset();
    let mut app = App::new(
        accounts.iter().map(account_info).collect(),
        store.masked_url().to_string(),
        defaults,
        keymap,
        theme,
        now,
        tz,
    );
    app.health = config.settings.health.clone();
    app.push_max_offers = config.settings.push_max_offers as usize;
    app.bell = config.settings.bell;
    let prices = &config.settings.prices;
    app.buybox.options = crate::price::BuyboxOptions {
        step: prices.step,
        margin_percent: prices.margin_percent,
        costs: match &prices.cost_csv {
            Some(path) => crate::price::costs::load(path)?,
            None => Default::default(),
        },
    };
    crate::tui::run::run(app, store, engine, args.mouse).await?;
    Ok(0)
}

/// `magsync`: the configured accounts and store.
pub async fn run(g: &super::GlobalArgs, args: TuiArgs) -> anyhow::Result<u8> {
    let config = g.load_config()?;
    let _guard = crate::logging::init(&config.paths.log_dir, g.log_level.as_deref(), false);
    let store = Store::open(&config.database_url).await?;
    let backend = super::demo::backend(&store, &config.accounts, &config.settings);
    let code = open(&config, &config.accounts, store.clone(), backend, &args).await;
    store.close().await;
    code
}

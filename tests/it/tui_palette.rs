//! The `:` command palette: completion, jumps to tabs, accounts, offers and runs, syncs that
//! still ask, and a one-sentence refusal that keeps the line.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::edits::preview::Scope;
use magsync::model::SyncMode;
use magsync::tui::app::{App, Confirm, Effect, Msg, Popup, Tab};
use magsync::tui::fixture;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn k(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, text: &str) -> Vec<Effect> {
    app.update(k(KeyCode::Char(':')));
    for ch in text.chars() {
        app.update(k(KeyCode::Char(ch)));
    }
    app.update(k(KeyCode::Enter))
}

fn line(app: &App) -> String {
    match app.popups.last() {
        Some(Popup::Palette(p)) => p.input.value().to_string(),
        other => panic!("no palette: {other:?}"),
    }
}

#[test]
fn palette_commands_jump_start_and_complete() {
    let mut app = fixture::app();
    assert_eq!(typed(&mut app, "run 42"), vec![Effect::LoadRun(42)]);
    assert_eq!(typed(&mut app, "offer 1003"), vec![Effect::FindOffer(1003)]);
    typed(&mut app, "history");
    assert_eq!(app.tab, Tab::History);
    typed(&mut app, "account fbe");
    assert_eq!(
        (app.tab, app.selected_account_name()),
        (Tab::Sync, Some("fbe"))
    );
    // Syncs still ask: all accounts, or a full sync of one.
    assert!(typed(&mut app, "sync full all").is_empty());
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm(Confirm::SyncAll {
            mode: SyncMode::Full,
            ..
        }))
    ));
    app.update(k(KeyCode::Esc));
    assert!(typed(&mut app, "sync full fbe").is_empty());
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm(Confirm::FullSync { .. }))
    ));
    app.update(k(KeyCode::Esc));
    // An incremental of an idle account starts at once, as `i` does.
    let fx = typed(&mut app, "sync incremental fbe");
    assert!(matches!(&fx[..], [Effect::StartSync { account, options }]
        if account == "fbe" && options.mode == SyncMode::Incremental));
    assert_eq!(
        typed(&mut app, "push"),
        vec![Effect::PreviewPush(Scope::All)]
    );
    assert_eq!(app.tab, Tab::Changes);
    let colour = app.theme.color;
    typed(&mut app, "theme");
    assert_eq!(app.theme.color, !colour);

    // Tab completes to the longest common prefix.
    app.update(k(KeyCode::Char(':')));
    for ch in "sy".chars() {
        app.update(k(KeyCode::Char(ch)));
    }
    app.update(k(KeyCode::Tab));
    // "sync" is both the tab and the start of the sync commands.
    assert_eq!(line(&app), "sync");
    app.update(k(KeyCode::Char(' ')));
    app.update(k(KeyCode::Char('i')));
    app.update(k(KeyCode::Tab));
    assert_eq!(line(&app), "sync incremental ");
    app.update(k(KeyCode::Esc));
    assert!(app.popups.is_empty());

    // A wrong line stays, with one sentence saying why.
    assert!(typed(&mut app, "run x").is_empty());
    match app.popups.last() {
        Some(Popup::Palette(p)) => {
            assert_eq!(p.input.value(), "run x");
            assert_eq!(p.error.as_deref(), Some("\"x\" is not a run id"));
        }
        other => panic!("{other:?}"),
    }
    app.update(k(KeyCode::Esc));
    assert!(typed(&mut app, "account nosuch").is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::Palette(p))
        if p.error.as_deref() == Some("no account \"nosuch\" is configured")));
}

#[test]
fn the_palette_lists_its_completions() {
    for (w, h) in [(60, 18), (80, 24), (120, 40)] {
        let mut app = fixture::app();
        app.update(k(KeyCode::Char(':')));
        app.update(k(KeyCode::Char('s')));
        app.size = (w, h);
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| views::draw(f, &app)).unwrap();
        let buf = t.backend().buffer();
        let s: String = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        assert!(s.contains(":s"), "{s}");
        assert!(s.contains("sync full all"), "{w}x{h}:\n{s}");
        assert!(s.contains("sync"), "{s}");
        insta::assert_snapshot!(format!("palette_{w}x{h}"), s);
    }
}

#[test]
fn export_writes_the_products_view_and_elsewhere_says_where_it_works() {
    let mut app = fixture::app();
    app.tab = Tab::Sync;
    assert!(typed(&mut app, "export").is_empty());
    match app.popups.last() {
        Some(Popup::Palette(p)) => assert!(
            p.error.as_deref().unwrap().contains("Products view"),
            "{:?}",
            p.error
        ),
        other => panic!("{other:?}"),
    }
    app.update(k(KeyCode::Esc));
    app.tab = Tab::Products;
    app.products.query.text = Some("lampă".into());
    let fx = typed(&mut app, "export json /tmp/view.json");
    assert_eq!(
        fx,
        vec![Effect::Export {
            query: app.products.query.clone(),
            format: magsync::cli::export::Format::Json,
            path: "/tmp/view.json".into(),
        }]
    );
    // Without a file name it gets a dated one in the current folder; CSV by default.
    match typed(&mut app, "export").as_slice() {
        [Effect::Export { format, path, .. }] => {
            assert_eq!(*format, magsync::cli::export::Format::Csv);
            assert!(
                path.starts_with("magsync-products-") && path.ends_with(".csv"),
                "{path}"
            );
        }
        other => panic!("{other:?}"),
    }
    app.update(Msg::Exported(Ok((1_234, "/tmp/view.json".into()))));
    assert_eq!(
        app.toast.as_ref().unwrap().text,
        "exported 1 234 offers to /tmp/view.json"
    );
}

#[test]
fn enter_on_a_help_line_runs_it_on_its_own_tab() {
    let mut app = fixture::app();
    app.tab = Tab::Connections;
    app.update(k(KeyCode::Char('?')));
    app.update(k(KeyCode::Char('/')));
    for ch in "summary".chars() {
        app.update(k(KeyCode::Char(ch)));
    }
    // Enter leaves the filter line; the next Enter runs the selected (first) line.
    app.update(k(KeyCode::Enter));
    assert!(matches!(app.popups.last(), Some(Popup::Help { .. })));
    app.update(k(KeyCode::Enter));
    assert!(app.popups.is_empty());
    assert_eq!(app.tab, Tab::History);
    assert!(app.summary.shown, "the History tab's summary key ran");
    // j moves the selection; Enter runs that line instead of the first.
    app.tab = Tab::Sync;
    app.dashboard.running.clear();
    app.update(k(KeyCode::Char('?')));
    app.update(k(KeyCode::Char('j')));
    let second = views::help::rows(&app, &tui_input::Input::default())[1].3;
    assert_eq!(second, magsync::tui::keymap::Action::SyncFull);
    app.update(k(KeyCode::Enter));
    assert!(matches!(
        app.popups.last(),
        Some(Popup::Confirm(Confirm::FullSync { .. }))
    ));
}

#[tokio::test]
async fn the_export_effect_writes_every_matching_offer_off_the_ui_task() {
    use magsync::testing::TestDb;
    use magsync::tui::effects::Executor;
    use magsync::tui::engine_backend::{EngineBackend, OwnRuns};
    for db in TestDb::all().await {
        let offers: Vec<magsync::model::Offer> = (1..=250)
            .map(|id| magsync::model::Offer {
                id,
                name: Some(format!("Lampă {id}")),
                status: Some(magsync::model::OfferStatus::Active),
                ..Default::default()
            })
            .collect();
        db.store
            .offers()
            .write("main", None, &offers, chrono::Utc::now())
            .await
            .unwrap();
        let (tx, _rx) = tokio::sync::mpsc::channel(16);
        // An engine without accounts: an export never reaches it.
        let settings = magsync::config::Settings::default();
        let engine = magsync::sync::Engine::new(db.store.clone(), Vec::new(), &settings);
        let runner = Executor {
            store: db.store.clone(),
            engine: std::sync::Arc::new(EngineBackend::new(engine)),
            runs: std::sync::Arc::new(OwnRuns::new()),
            accounts: vec!["main".into()],
            tx,
            health: magsync::config::Settings::default().health,
            index: magsync::index::SharedIndex::new(),
        };
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("view.csv").display().to_string();
        let msg = runner
            .run(Effect::Export {
                query: Default::default(),
                format: magsync::cli::export::Format::Csv,
                path: path.clone(),
            })
            .await;
        match msg {
            Some(Msg::Exported(Ok((n, p)))) => {
                assert_eq!((n, p.as_str()), (250, path.as_str()), "[{}]", db.label);
            }
            other => panic!("[{}] {other:?}", db.label),
        }
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 251, "a header and every offer");
        assert!(text.starts_with("account,id,"), "{text}");
        // A folder that does not exist: one sentence, no panic.
        let msg = runner
            .run(Effect::Export {
                query: Default::default(),
                format: magsync::cli::export::Format::Json,
                path: "/nonexistent/dir/view.json".into(),
            })
            .await;
        match msg {
            Some(Msg::Exported(Err(e @ magsync::tui::error::JobError::Io(_)))) => {
                assert!(e.to_string().contains("cannot write"), "{e}")
            }
            other => panic!("[{}] {other:?}", db.label),
        }
    }
}

/// `smart deals` checks the Products tab's marked offers (one effect per account, one check in
/// flight per offer), the selected one when none is marked, and the Buy button tab's selected
/// offer as `s` does; the answers, which the Products tab does not show, come as a toast.
#[test]
fn smart_deals_from_the_palette_checks_the_marked_or_selected_offers() {
    use magsync::price::smart_deals::SmartDeal;
    use magsync::tui::error::JobError;
    use magsync::tui::tabs::buybox::SmartDealCheck;
    use rust_decimal::Decimal;

    let mut app = fixture::app();
    assert!(magsync::tui::palette::commands(&app).contains(&"smart deals".to_string()));
    // Elsewhere it says where it works, and keeps the line.
    app.tab = Tab::History;
    assert!(typed(&mut app, "smart deals").is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::Palette(p))
        if p.error.as_deref().unwrap().contains("Products (3) or Buy button (6)")));
    app.update(k(KeyCode::Esc));

    app.tab = Tab::Products;
    let rows = app.products.rows.clone();
    assert!(rows.len() >= 3 && rows[0].account != rows[1].account);
    // Nothing marked: the selected offer.
    let fx = typed(&mut app, "smart deals");
    assert_eq!(
        fx,
        vec![Effect::SmartDeals {
            account: rows[0].account.clone(),
            ids: vec![rows[0].id]
        }]
    );
    // Marked offers of two accounts: one effect per account; the one in flight is left out.
    for r in &rows[..3] {
        app.products.marked.insert((r.account.clone(), r.id));
    }
    let mut fx = typed(&mut app, "smart deals");
    fx.sort_by_key(|e| format!("{e:?}"));
    let mut expected = vec![
        Effect::SmartDeals {
            account: rows[1].account.clone(),
            ids: vec![rows[1].id],
        },
        Effect::SmartDeals {
            account: rows[2].account.clone(),
            ids: vec![rows[2].id],
        },
    ];
    expected.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(fx, expected);
    for r in &rows[..3] {
        assert_eq!(
            app.buybox.smart_deals.get(&(r.account.clone(), r.id)),
            Some(&SmartDealCheck::Checking)
        );
    }
    // All in flight: refused in one sentence.
    assert!(typed(&mut app, "smart deals").is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::Palette(p))
        if p.error.as_deref() == Some("these offers are being checked")));
    app.update(k(KeyCode::Esc));

    // The answers are told in a toast on the Products tab: a target, and a failure in red.
    let deal = SmartDeal {
        id: rows[1].id,
        current_price: Some(Decimal::new(10495, 2)),
        target_price: Some(Decimal::new(9990, 2)),
        currency: Some("RON".into()),
        distance: Some(Decimal::new(505, 2)),
        distance_percent: Some(Decimal::new(481, 2)),
        eligible: Some(false),
    };
    app.update(Msg::SmartDeals {
        account: rows[1].account.clone(),
        ids: vec![rows[1].id],
        result: Ok(vec![(rows[1].id, Ok(deal))]),
    });
    let toast = app.toast.clone().unwrap();
    assert!(
        !toast.error
            && toast
                .text
                .contains(&format!("offer {}: target 99.90 RON", rows[1].id))
            && toast.text.contains("5.05 (4.81 %) to come down"),
        "{}",
        toast.text
    );
    app.update(Msg::SmartDeals {
        account: rows[2].account.clone(),
        ids: vec![rows[2].id],
        result: Ok(vec![(
            rows[2].id,
            Err(JobError::Emag("eMAG answered 500".into())),
        )]),
    });
    let toast = app.toast.clone().unwrap();
    assert!(
        toast.error && toast.text.contains("check failed: eMAG answered 500"),
        "{}",
        toast.text
    );

    // On the Buy button tab it is `s`: the selected offer.
    let mut app = fixture::app();
    app.tab = Tab::Buybox;
    app.buybox.rows = vec![];
    assert!(typed(&mut app, "smart deals").is_empty());
    assert_eq!(
        app.toast.as_ref().map(|t| t.text.as_str()),
        Some("no offer is selected")
    );
}

//! Nothing cut: every tab at 60×18 (reduced layout), 80×24 and 120×40 with seven-digit counts
//! and 4-decimal prices keeps every number and time whole.

use magsync::tui::app::{App, Tab};
use magsync::tui::fixture;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;

const SIZES: [(u16, u16); 3] = [(60, 18), (80, 24), (120, 40)];

fn big() -> App {
    let mut app = fixture::app();
    for s in &mut app.dashboard.stats {
        s.counts.offers = 1_234_567;
        s.counts.active = 1_170_001;
        if let Some(r) = s.last_run.as_mut() {
            r.counts.offers_seen = 1_234_567;
            r.counts.updated = 169_989;
        }
    }
    for r in &mut app.history.runs {
        r.counts.offers_seen = 1_234_567;
        r.counts.updated = 169_989;
        r.counts.created = 100_000;
        r.counts.failed = 1_000;
    }
    for (i, r) in app.products.rows.iter_mut().enumerate() {
        r.sale_price = Some(Decimal::new(12_345_671_488 + i as i64, 4));
        r.general_stock = Some(65_535);
    }
    app.products.total = Some(1_234_567);
    // Both accounts were tested 3 minutes ago: the count must stay whole beside the last sync.
    for a in app.accounts.clone() {
        app.tests.insert(
            a.name.clone(),
            magsync::tui::app::ConnTest {
                account: a.name,
                ok: true,
                message: "ok".into(),
                offers: Some(1_234_567),
                active: Some(1_170_001),
                latency_ms: 120,
                at: fixture::now() - chrono::Duration::minutes(3),
            },
        );
    }
    app
}

fn text(app: &mut App, w: u16, h: u16) -> (String, Terminal<TestBackend>) {
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    let buf = t.backend().buffer().clone();
    let s = (0..h)
        .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
        .collect();
    (s, t)
}

#[test]
fn seven_digit_counts_and_four_decimal_prices_are_never_cut() {
    for (w, h) in SIZES {
        for tab in [Tab::Connections, Tab::Sync, Tab::Products, Tab::History] {
            let mut app = big();
            app.tab = tab;
            let (s, t) = text(&mut app, w, h);
            insta::assert_snapshot!(format!("fit_{}_{w}x{h}", tab.title().to_lowercase()), s);
            match tab {
                Tab::Products => {
                    assert!(s.contains("1234567.1488"), "{w}x{h}:\n{s}");
                    assert!(s.contains("65535"), "{w}x{h}:\n{s}");
                    // The price carries the colour of a plain value, whole.
                    let _ = t;
                }
                Tab::History => {
                    assert!(s.contains("1 234 567"), "{w}x{h}:\n{s}");
                    assert!(s.contains("169 989"), "{w}x{h}:\n{s}");
                    assert!(!s.contains(" 69 989"), "{w}x{h}:\n{s}");
                    assert!(s.contains("#"), "run ids are shown: {w}x{h}:\n{s}");
                }
                Tab::Connections | Tab::Sync if (w, h) != (60, 18) => {
                    // The account cards show the count whole, and the active count whole or
                    // as a share, never a cut number.
                    assert!(
                        s.contains("1 234 567 · 94 %")
                            || s.contains("1 234 567  (1 170 001 active)"),
                        "{w}x{h}:\n{s}"
                    );
                }
                _ => {}
            }
            if tab == Tab::Connections {
                // Last sync times are whole and relative ("57 min ago", not "57 mi").
                assert!(s.contains("✓ completed 57 min ago"), "{w}x{h}:\n{s}");
                // So are the connection test's time and count, on every account's row.
                let tested = s.lines().filter(|l| l.contains("3 min ago · 1 234 567"));
                assert_eq!(tested.count(), 2, "{w}x{h}:\n{s}");
            }
            // The clock is whole in the header at every size.
            assert!(
                s.lines().next().unwrap().contains("14:02:37"),
                "{w}x{h}:\n{s}"
            );
        }
    }
}

#[test]
fn lists_reload_in_place_when_the_store_changes_keeping_the_cursor_on_its_offer() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use magsync::tui::app::{Effect, Msg};
    let mut app = fixture::app();
    app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('3'),
        KeyModifiers::NONE,
    )));
    let d = app.dashboard.clone();
    app.update(Msg::Dashboard(Ok(d.clone())));
    for _ in 0..5 {
        app.update(Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    }
    let on = app.products.rows[5].clone();
    // Another process wrote offers: the counts moved, and the list reloads by itself.
    let mut changed = d.clone();
    changed.stats[0].counts.offers += 1;
    let fx = app.update(Msg::Dashboard(Ok(changed.clone())));
    let seq = match &fx[..] {
        [
            ..,
            Effect::Search {
                seq,
                after: None,
                limit,
                ..
            },
            Effect::Count { .. },
        ] => {
            assert!(*limit >= 200);
            *seq
        }
        other => panic!("no reload: {other:?}"),
    };
    // A new offer sorted first: the cursor stays on the same offer, now one row lower.
    let mut rows = app.products.rows.clone();
    let mut new = rows[0].clone();
    new.id = 1;
    rows.insert(0, new);
    app.update(Msg::Products {
        seq,
        append: false,
        rows: Ok(rows),
    });
    assert_eq!(app.products.selected, 6);
    assert_eq!(app.products.rows[6].id, on.id);
    // Not again within a few seconds of writes (a running sync changes counts every second).
    changed.stats[0].counts.offers += 1;
    let fx = app.update(Msg::Dashboard(Ok(changed.clone())));
    assert!(
        !fx.iter().any(|e| matches!(e, Effect::Search { .. })),
        "{fx:?}"
    );
    // Ctrl-R forces it.
    let fx = app.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('r'),
        KeyModifiers::CONTROL,
    )));
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Search { after: None, .. })),
        "{fx:?}"
    );
}

#[test]
fn pending_values_are_marked_beside_emags_never_in_their_place() {
    use magsync::edits::{Edit, EditState, Values};
    use magsync::tui::app::{Effect, Msg};
    let mut app = fixture::app();
    app.tab = Tab::Products;
    let rows = app.products.rows.clone();
    let seq = app.products.seq;
    let fx = app.update(Msg::Products {
        seq,
        append: false,
        rows: Ok(rows.clone()),
    });
    let [Effect::LoadPending(keys)] = &fx[..] else {
        panic!("{fx:?}");
    };
    assert_eq!(keys.len(), rows.len());
    // The mirror shows the pending price; the edit remembers eMAG's.
    let r = &rows[0];
    let now = fixture::now();
    let edit = Edit {
        id: 9,
        account: r.account.clone(),
        offer_id: r.id,
        part_number: r.part_number.clone(),
        values: Values {
            sale_price: r.sale_price,
            ..Default::default()
        },
        base: Values {
            sale_price: Some(Decimal::new(4_611_488, 4)),
            ..Default::default()
        },
        created_at: now,
        edited_at: now,
        revision: 1,
        state: EditState::Pending,
        message: None,
        remote: Values::default(),
        remote_changed_seen_at: None,
        settled_by: None,
        settled_run_id: None,
        pushed_at: None,
        updated_at: now,
        queued_by: None,
    };
    app.update(Msg::Pending(Ok(vec![edit])));
    for (w, h) in SIZES {
        let (s, t) = text(&mut app, w, h);
        let line = s
            .lines()
            .find(|l| l.contains(&r.id.to_string()))
            .unwrap()
            .to_string();
        assert!(line.contains("461.1488"), "eMAG's price: {w}x{h}: {line}");
        let pending = format!("✎ {}", r.sale_price.unwrap());
        assert!(line.contains(&pending), "{w}x{h}: {line}");
        let y = s.lines().position(|l| l == line).unwrap() as u16;
        let x = line.find('✎').map(|b| line[..b].chars().count()).unwrap() as u16;
        assert_eq!(
            t.backend().buffer()[(x, y)].fg,
            app.theme.accent().fg.unwrap_or_default()
        );
        insta::assert_snapshot!(format!("pending_marked_{w}x{h}"), s);
    }
}

#[test]
fn log_search_and_unwrapped_lines_render_at_every_size() {
    for (w, h) in SIZES {
        let mut app = fixture::app();
        app.tab = Tab::Sync;
        app.log.search = tui_input::Input::new("page 4".into());
        app.log.nowrap = true;
        let (s, _) = text(&mut app, w, h);
        insta::assert_snapshot!(format!("log_search_nowrap_{w}x{h}"), s);
        assert!(s.contains("/page 4 · 2 matches"), "{w}x{h}:\n{s}");
        assert!(s.contains("no wrap"), "{w}x{h}:\n{s}");
        assert!(!s.contains("page 1/13"), "{w}x{h}:\n{s}");
    }
}

#[test]
fn drill_through_popups_render_at_every_size() {
    use magsync::model::OfferChange;
    use magsync::tui::app::{Popup, RunDetail};
    let change = |offer_id: i64, field: &str| OfferChange {
        run_id: Some(40),
        account: "main".into(),
        offer_id,
        field: field.into(),
        old_value: Some("99.1600".into()),
        new_value: Some("94.9000".into()),
        at: fixture::now() - chrono::Duration::hours(2),
    };
    for (w, h) in SIZES {
        let mut app = fixture::app();
        app.tab = Tab::History;
        let run = app.history.runs[2].clone();
        app.popups = vec![Popup::Run(Box::new(RunDetail {
            run,
            events: app.log.events.clone(),
            changes: (0..12).map(|i| change(1000 + i, "sale_price")).collect(),
            scroll: 0,
            link: Some(9),
        }))];
        let (s, _) = text(&mut app, w, h);
        insta::assert_snapshot!(format!("run_link_{w}x{h}"), s);
        // The selected changed offer is in view however far down it is.
        assert!(s.contains("▶ main     1009"), "{w}x{h}:\n{s}");

        app.popups.push(Popup::Copy {
            items: vec![
                ("id".into(), "1009".into()),
                ("EAN".into(), "5941234567890".into()),
                (
                    "row as JSON".into(),
                    "{\"id\":1009,\"account\":\"main\"}".into(),
                ),
            ],
            selected: 1,
        });
        let (s, _) = text(&mut app, w, h);
        insta::assert_snapshot!(format!("copy_menu_{w}x{h}"), s);
        assert!(s.contains("▶ EAN"), "{w}x{h}:\n{s}");
    }
}

//! Render snapshots of every tab and popup at 80×24 and 120×40 and the too-small screen, from
//! fixed state, plus assertions on the colours that carry meaning.

use magsync::model::OfferStatus;
use magsync::model::{OfferChange, RunStatus};
use magsync::store::offers::StoredOffer;
use magsync::tui::app::{App, Confirm, OfferDetail, Popup, RunDetail, Tab};
use magsync::tui::fixture;
use magsync::tui::theme::Theme;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    t
}

/// Position of the first cell where `text` starts.
fn find(buf: &Buffer, text: &str) -> Option<(u16, u16)> {
    let first = text.chars().next()?;
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            if buf[(x, y)].symbol().starts_with(first) {
                let s: String = (x..buf.area.width)
                    .map(|xx| buf[(xx, y)].symbol())
                    .collect::<String>();
                if s.starts_with(text) {
                    return Some((x, y));
                }
            }
        }
    }
    None
}

/// Foreground of every cell of `text` (all must match).
fn fg_of(buf: &Buffer, text: &str) -> Color {
    let (x, y) = find(buf, text).unwrap_or_else(|| panic!("\"{text}\" not on screen"));
    let fg = buf[(x, y)].fg;
    for i in 0..text.chars().count() as u16 {
        assert_eq!(buf[(x + i, y)].fg, fg, "colour changes inside \"{text}\"");
    }
    fg
}

fn snap(name: &str, app: &mut App) {
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

fn offer_detail() -> OfferDetail {
    let mut offer = magsync::model::Offer {
        id: 1042,
        part_number: Some("LMP-450-BK".into()),
        part_number_key: Some("D5DD9BBBM".into()),
        name: Some("Lampă LED birou cu încărcare wireless, negru".into()),
        brand: Some("Lumina".into()),
        eans: vec!["5941234567890".into()],
        sale_price: Some(rust_decimal::Decimal::new(949000, 4)),
        currency: Some("RON".into()),
        status: Some(OfferStatus::Active),
        general_stock: Some(37),
        validation_status: Some(9),
        offer_validation_status: Some(1),
        buy_button_rank: Some(1),
        ..Default::default()
    };
    offer.raw = serde_json::json!({"id": 1042, "part_number": "LMP-450-BK", "sale_price": "94.9000", "status": 1}).into();
    OfferDetail {
        pending: None,
        offer: StoredOffer {
            account: "main".into(),
            offer,
            content_hash: "abc".into(),
            first_seen_at: fixture::now() - chrono::Duration::days(3),
            last_seen_at: fixture::now(),
            last_changed_at: fixture::now() - chrono::Duration::minutes(2),
            missing_since: None,
            last_run_id: Some(42),
        },
        changes: vec![OfferChange {
            run_id: Some(42),
            account: "main".into(),
            offer_id: 1042,
            field: "sale_price".into(),
            old_value: Some("99.1600".into()),
            new_value: Some("94.9000".into()),
            at: fixture::now() - chrono::Duration::minutes(2),
        }],
        scroll: 0,
        prices: Default::default(),
        link: None,
    }
}

#[test]
fn tabs_render_at_both_sizes() {
    let mut app = fixture::app();
    for tab in Tab::ALL {
        app.tab = tab;
        snap(
            &format!("tab_{}", tab.title().to_lowercase().replace(' ', "_")),
            &mut app,
        );
    }
}

#[test]
fn popups_render_at_both_sizes() {
    let mut app = fixture::app();
    app.tab = Tab::Sync;
    let popups = [
        (
            "confirm_full",
            Popup::Confirm(Confirm::FullSync {
                account: "fbe".into(),
                pages: Some(13),
            }),
        ),
        (
            "confirm_cancel",
            Popup::Confirm(Confirm::CancelRun {
                account: "main".into(),
                run_id: 42,
            }),
        ),
        (
            "confirm_quit",
            Popup::Confirm(Confirm::QuitWhileRunning { runs: 1 }),
        ),
        (
            "help",
            Popup::Help {
                filter: Default::default(),
                typing: false,
                scroll: 0,
            },
        ),
        ("errors", Popup::Errors { scroll: 0 }),
        ("offer", Popup::Offer(Box::new(offer_detail()))),
    ];
    app.errors
        .push((fixture::now(), "fbe: HTTP 401 Unauthorized".into()));
    for (name, popup) in popups {
        app.popups = vec![popup];
        snap(&format!("popup_{name}"), &mut app);
    }
    // The options form is opened with its key, as a user would.
    app.popups.clear();
    app.update(key('o'));
    snap("popup_options", &mut app);

    app.popups.clear();
    app.tab = Tab::History;
    let run = app.history.runs[2].clone();
    app.popups = vec![Popup::Run(Box::new(RunDetail {
        events: app.log.events.clone(),
        changes: offer_detail().changes,
        run,
        scroll: 0,
        link: None,
    }))];
    snap("popup_run", &mut app);
}

fn key(c: char) -> magsync::tui::Msg {
    magsync::tui::Msg::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char(c),
        crossterm::event::KeyModifiers::NONE,
    ))
}

#[test]
fn too_small_screen_says_what_it_needs() {
    let mut app = fixture::app();
    // 64×20 (a split tmux pane) gets the reduced layout, not a refusal.
    let t = render(&mut app, 64, 20);
    assert!(find(t.backend().buffer(), "1 Connections").is_some());
    assert!(find(t.backend().buffer(), "needs at least").is_none());
    let t = render(&mut app, 38, 10);
    insta::assert_snapshot!("too_small_38x10", t.backend());
    let text: String = (0..10)
        .map(|y| {
            (0..38)
                .map(|x| t.backend().buffer()[(x, y)].symbol())
                .collect::<String>()
        })
        .collect();
    assert!(text.contains("40×12"), "{text}");
}

#[test]
fn status_colours_carry_meaning() {
    let mut app = fixture::app();
    app.tab = Tab::History;
    let t = render(&mut app, 120, 40);
    let buf = t.backend().buffer();
    assert_eq!(fg_of(buf, "⟳ running"), Color::Cyan);
    assert_eq!(fg_of(buf, "✓ completed"), Color::Green);
    assert_eq!(fg_of(buf, "◐ partial"), Color::Yellow);
    assert_eq!(fg_of(buf, "✗ failed"), Color::Red);

    app.tab = Tab::Sync;
    let t = render(&mut app, 120, 40);
    let buf = t.backend().buffer();
    assert_eq!(fg_of(buf, "⟳ running"), Color::Cyan);
    assert_eq!(fg_of(buf, "✓ completed"), Color::Green);
    assert_eq!(fg_of(buf, "WARN"), Color::Yellow);
    assert_eq!(fg_of(buf, "ERROR"), Color::Red);
    // The header dot of a running account and the Sync card.
    let (x, y) = find(buf, "● main").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Cyan);
    let (x, y) = find(buf, "● fbe").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Green);

    app.tab = Tab::Products;
    let t = render(&mut app, 120, 40);
    let buf = t.backend().buffer();
    assert_eq!(fg_of(buf, "missing"), Color::Red);
    // The selected row stands out.
    let (_, y) = find(buf, "PN-0450").unwrap();
    assert_eq!(buf[(5, y)].bg, Color::Blue);
}

#[test]
fn no_color_keeps_meaning_in_glyphs() {
    let mut app = fixture::app();
    app.theme = Theme::plain();
    app.tab = Tab::History;
    let t = render(&mut app, 120, 40);
    let buf = t.backend().buffer();
    for text in ["⟳ running", "✓ completed", "◐ partial", "✗ failed"] {
        assert_eq!(fg_of(buf, text), Color::Reset, "{text}");
    }
    // Header dots become glyphs.
    assert!(find(buf, "⟳ main").is_some());
    assert!(find(buf, "✓ fbe").is_some());
    app.tab = Tab::Sync;
    snap("no_color_sync", &mut app);
    let t = render(&mut app, 120, 40);
    let buf = t.backend().buffer();
    for y in 0..40 {
        for x in 0..120 {
            assert_eq!(buf[(x, y)].fg, Color::Reset);
            assert!(matches!(buf[(x, y)].bg, Color::Reset));
        }
    }
    let _ = RunStatus::Running;
}

/// The text of row `y`, trailing blanks trimmed.
fn row(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width)
        .map(|x| buf[(x, y)].symbol())
        .collect::<String>()
        .trim_end()
        .to_string()
}

/// Every row of the screen ([`row`]).
fn rows(buf: &Buffer) -> Vec<String> {
    (0..buf.area.height).map(|y| row(buf, y)).collect()
}

/// The whole screen as text, one line per row.
fn screen(buf: &Buffer) -> String {
    rows(buf).join("\n")
}

#[test]
fn status_line_hints_give_way_to_the_toast_whole() {
    let mut app = fixture::app();
    app.tab = Tab::Sync;
    app.toast("fbe: run 43 started, 13 pages to scan", false);
    snap("status_toast", &mut app);
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(&mut app, w, h);
        let line = row(t.backend().buffer(), h - 1);
        assert!(
            line.ends_with("fbe: run 43 started, 13 pages to scan"),
            "{line}"
        );
        // Whole hints only, help kept, and a gap before the toast.
        assert!(line.contains("? help"), "{line}");
        let hints = line.split("fbe: run").next().unwrap();
        assert!(hints.ends_with("  "), "{line}");
        let whole: Vec<String> = app
            .keymap
            .hints(magsync::tui::keymap::Context::Sync)
            .into_iter()
            .map(|(k, label, _)| format!("{k} {label}"))
            .collect();
        for hint in hints.trim().split("  ") {
            assert!(
                whole.contains(&hint.to_string()),
                "cut hint \"{hint}\": {line}"
            );
        }
    }
    // A toast longer than the line is cut, never the help hint.
    app.toast("x".repeat(200), true);
    let t = render(&mut app, 80, 24);
    let line = row(t.backend().buffer(), 23);
    assert!(line.starts_with(" ? help  "), "{line}");
    assert!(line.ends_with('…'), "{line}");
    assert_eq!(fg_of(t.backend().buffer(), "xxxx"), Color::Red);
}

#[test]
fn errors_hint_names_a_key_only_where_it_opens_the_list() {
    let mut app = fixture::app();
    app.errors.push((fixture::now(), "fbe: HTTP 401".into()));
    app.tab = Tab::Sync;
    let t = render(&mut app, 120, 40);
    assert!(row(t.backend().buffer(), 39).ends_with("1 error (e)"));
    // On Products `e` edits an offer, and E opens the list.
    app.tab = Tab::Products;
    let t = render(&mut app, 120, 40);
    let line = row(t.backend().buffer(), 39);
    assert!(line.ends_with("1 error (E)"), "{line}");
}

#[test]
fn sync_card_says_a_first_run_is_running() {
    let mut app = fixture::app();
    // main's first run is running and fbe has never synced.
    for s in &mut app.dashboard.stats {
        if s.account == "fbe" {
            s.last_run = None;
            s.last_full_success = None;
        }
    }
    snap("first_sync_running", &mut app);
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(&mut app, w, h);
        let buf = t.backend().buffer();
        let cards: String = (1..5).map(|y| row(buf, y)).collect::<Vec<_>>().join("\n");
        assert!(
            cards.contains("1st sync running │") || cards.contains("first sync running "),
            "{cards}"
        );
        // Relative, and the mode word where the card has room.
        assert!(cards.contains("⟳ inc just now"), "{cards}");
        // Only fbe, which really never synced, says so.
        assert_eq!(cards.matches("never synced").count(), 1, "{cards}");
        let (x, y) = find(buf, "⟳ inc just now").unwrap();
        assert_eq!(buf[(x, y)].fg, Color::Cyan);
    }
}

#[test]
fn help_lists_enter_once_on_products() {
    let mut app = fixture::app();
    app.tab = Tab::Products;
    app.popups = vec![Popup::Help {
        filter: Default::default(),
        typing: false,
        scroll: 0,
    }];
    snap("popup_help_products", &mut app);
    let t = render(&mut app, 120, 40);
    let buf = t.backend().buffer();
    let text = screen(buf);
    // One key row names Enter (the title's "Enter runs" is about the list itself).
    assert_eq!(
        text.matches("Enter").count() - text.matches("Enter runs").count(),
        1,
        "{text}"
    );
}

#[test]
fn history_shows_the_since_filter_and_an_honest_empty_list() {
    let mut app = fixture::app();
    app.tab = Tab::History;
    app.history.filter_since_days = Some(7);
    app.history.runs.clear();
    snap("history_since_empty", &mut app);
    let t = render(&mut app, 80, 24);
    let buf = t.backend().buffer();
    assert!(find(buf, "since: 7 days").is_some());
    assert!(find(buf, "no runs match these filters").is_some());
    assert!(find(buf, "no runs yet").is_none());
}

#[test]
fn products_count_shows_the_visible_rows_wherever_the_cursor_is() {
    let mut app = fixture::app();
    app.update(key('3'));
    app.size = (80, 24);
    for _ in 0..5 {
        app.update(key('j'));
    }
    let t = render(&mut app, 80, 24);
    assert!(find(t.backend().buffer(), "1–13 of 2 545").is_some());
    // Past the window it scrolls, and the range with it.
    for _ in 0..10 {
        app.update(key('j'));
    }
    let t = render(&mut app, 80, 24);
    assert!(find(t.backend().buffer(), "4–16 of 2 545").is_some());
}

#[test]
fn sync_table_numbers_stay_under_their_headers() {
    let mut app = fixture::app();
    app.tab = Tab::Sync;
    // A first run: every offer is new, four digits.
    app.dashboard.running[0].counts.created = 1092;
    snap("sync_first_run_counts", &mut app);
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(&mut app, w, h);
        let buf = t.backend().buffer();
        let (_, hy) = find(buf, "account").unwrap();
        let head = row(buf, hy);
        let main = row(buf, hy + 1);
        let fbe = row(buf, hy + 2);
        // Right-aligned columns end where their header ends.
        let end = |line: &str, text: &str| {
            line.find(text)
                .map(|i| line[..i].chars().count() + text.chars().count())
        };
        assert_eq!(end(&main, "1 092"), end(&head, "new"), "{head}\n{main}");
        if w >= 110 {
            assert_eq!(end(&fbe, "1 268"), end(&head, "same"), "{head}\n{fbe}");
        }
        // The state column starts under "state".
        assert_eq!(
            head.find("state").map(|i| head[..i].chars().count()),
            main.find("⟳").map(|i| main[..i].chars().count()),
            "{head}\n{main}"
        );
    }
    // An account with no run lines its state up with the others.
    app.dashboard.stats.retain(|s| s.account != "fbe");
    app.history.runs.clear();
    let t = render(&mut app, 80, 24);
    let buf = t.backend().buffer();
    let (_, hy) = find(buf, "account").unwrap();
    let head = row(buf, hy);
    let fbe = row(buf, hy + 2);
    assert_eq!(
        head.find("state").map(|i| head[..i].chars().count()),
        fbe.find("never").map(|i| fbe[..i].chars().count()),
        "{head}\n{fbe}"
    );
}

#[test]
fn help_scrolls_when_the_keys_do_not_fit_at_80x24() {
    let mut app = fixture::app();
    app.tab = Tab::Products;
    app.update(key('?'));
    let at_80x24 = |app: &mut App| screen(render(app, 80, 24).backend().buffer());
    // The last row whose text no other row has (several tabs have a "details" key).
    let rows = app.keymap.all_help_rows(app.tab.context());
    let last = rows
        .iter()
        .rev()
        .map(|(_, _, help)| *help)
        .find(|h| rows.iter().filter(|(_, _, other)| other == h).count() == 1)
        .expect("help rows");
    let top = at_80x24(&mut app);
    assert!(top.contains("more · j/k scroll"), "{top}");
    // The last key is hidden until scrolled to.
    assert!(!top.contains(last), "{last}: {top}");
    app.update(key('G'));
    let bottom = at_80x24(&mut app);
    assert!(bottom.contains(last), "{last}: {bottom}");
    assert!(bottom.contains("more above"), "{bottom}");
    // Every tab's keys are listed, the focused tab's first; the filter finds another tab's.
    app.update(key('g'));
    let t = render(&mut app, 120, 40);
    let tall = screen(t.backend().buffer());
    assert!(
        tall.contains(" products") && tall.contains(" global"),
        "{tall}"
    );
    app.update(key('/'));
    for ch in "history".chars() {
        app.update(key(ch));
    }
    let t = render(&mut app, 120, 40);
    let found = screen(t.backend().buffer());
    assert!(
        found.contains(" history") && found.contains("since"),
        "{found}"
    );
    assert!(!found.contains("bulk edit"), "{found}");
}

#[test]
fn products_filters_at_80_columns_name_only_what_is_set() {
    use magsync::model::search::{StatusFilter, StockFilter};
    let mut app = fixture::app();
    app.update(key('3'));
    let t = render(&mut app, 80, 24);
    let bar = row(t.backend().buffer(), 6);
    assert!(bar.contains("name ↑ · 1–13 of 2 545"), "{bar}");
    assert!(!bar.contains("any"), "unset filters take no room: {bar}");

    app.products.query.account = Some("main".into());
    app.products.query.status = Some(StatusFilter::Inactive);
    app.products.query.stock = Some(StockFilter::Low);
    let t = render(&mut app, 80, 24);
    let bar = row(t.backend().buffer(), 6);
    assert!(
        bar.contains("account main · inactive · stock low · name ↑"),
        "{bar}"
    );
}

#[test]
fn long_names_end_in_an_ellipsis_at_the_column_edge() {
    let mut app = fixture::app();
    app.update(key('3'));
    let t = render(&mut app, 80, 24);
    let first = row(t.backend().buffer(), 9);
    // The name column ends where the price column begins, and says it was cut.
    let after = first.split_once('…').map(|(_, a)| a).unwrap_or("");
    assert!(
        after.starts_with(' ') && after.trim_start().starts_with("99.16"),
        "{first}"
    );
}

#[test]
fn long_log_lines_wrap_under_the_message_and_the_newest_stays_in_view() {
    let mut app = fixture::app();
    app.tab = Tab::Sync;
    let mut last = app.log.events.last().unwrap().clone();
    last.id += 1;
    last.message = "sync of main completed in 4.0 s: 1092 offers seen (1092 new, 0 changed, \
                    0 unchanged, 0 missing), 11 pages, 12 requests, 0 retries, 0 rate limited"
        .into();
    app.log.events.push(last);
    let t = render(&mut app, 80, 24);
    let buf = t.backend().buffer();
    let rows = rows(buf);
    let (_, y) = find(buf, "sync of main completed").expect("the summary's first line");
    let y = y as usize;
    let col = rows[y].find("sync of main").unwrap();
    // The rest continues on the next rows, starting in the message column, to the last word.
    let rest: String = rows[y + 1..]
        .iter()
        .take_while(|r| r.len() > col && r[..col].trim_start_matches('│').trim().is_empty())
        .map(|r| r[col..].trim_end_matches('│').trim())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(rest.ends_with("0 rate limited"), "{rows:#?}");
    assert!(rest.contains("11 pages"), "{rows:#?}");
    // Nothing of the pane is cut at its right border.
    assert!(!rows.iter().any(|r| r.contains("rate limi│")), "{rows:#?}");
}

#[test]
fn offer_details_name_validation_values_as_emag_documents_them() {
    let mut app = fixture::app();
    app.tab = Tab::Products;
    let mut d = offer_detail();
    d.offer.offer.validation_status = Some(8);
    d.offer.offer.validation_status_description = Some("Documentation rejected".into());
    d.offer.offer.translation_validation_status = Some(15);
    d.offer.offer.ownership = Some(2);
    app.popups.push(Popup::Offer(Box::new(d)));
    let t = render(&mut app, 120, 40);
    let screen = screen(t.backend().buffer());
    // eMAG's §9.1 names; the description is not repeated when it only says the same.
    assert!(screen.contains("8 Documentation rejected"), "{screen}");
    assert!(
        !screen.contains("Documentation rejected · Documentation rejected"),
        "{screen}"
    );
    assert!(screen.contains("15 Translation in progress"), "{screen}");
    assert!(
        screen.contains("2 · may not edit the product's content"),
        "{screen}"
    );
}

#[test]
fn history_counts_its_runs_in_good_english() {
    let mut app = fixture::app();
    app.tab = Tab::History;
    app.history.runs.truncate(1);
    let t = render(&mut app, 80, 24);
    assert!(find(t.backend().buffer(), "1 run ").is_some());
    assert!(find(t.backend().buffer(), "1 runs").is_none());
}

#[test]
fn offer_details_show_emags_price_and_the_pending_edit_apart() {
    use magsync::edits::{Edit, EditState, Values};
    use rust_decimal::Decimal;
    let mut app = fixture::app();
    app.tab = Tab::Products;
    let mut d = offer_detail();
    // The mirror holds the pending price; eMAG's is the edit's base.
    d.offer.offer.sale_price = Some(Decimal::new(999_000, 4));
    d.offer.offer.currency = Some("RON".into());
    let now = fixture::now();
    d.pending = Some(Edit {
        id: 3,
        account: "main".into(),
        offer_id: d.offer.offer.id,
        part_number: None,
        values: Values {
            sale_price: Some(Decimal::new(999_000, 4)),
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
        queued_by: Some("ana@shop via cli".into()),
    });
    app.popups.push(Popup::Offer(Box::new(d)));
    let t = render(&mut app, 120, 40);
    let s = screen(t.backend().buffer());
    assert!(s.contains("sale price              461.1488 RON"), "{s}");
    assert!(s.contains("✎ sale_price 99.9000"), "{s}");
    assert!(s.contains("by ana@shop via cli"), "{s}");
    assert_eq!(
        fg_of(t.backend().buffer(), "✎ sale_price"),
        app.theme.accent().fg.unwrap()
    );
}

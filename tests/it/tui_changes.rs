//! The dashboard's local-edit parts: the `e` form on a product and the `5 Changes` tab.
//! State tests (keys in, effects out) and render snapshots with colour checks.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::edits::{Edit, EditRequest, EditState, Keep, Values};
use magsync::model::OfferStatus;
use magsync::tui::app::{App, Effect, Msg, Popup, Tab};
use magsync::tui::fixture;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use rust_decimal::Decimal;
use std::str::FromStr;

fn k(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
fn c(ch: char) -> Msg {
    k(KeyCode::Char(ch))
}
fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn edit(id: i64, offer_id: i64, state: EditState, message: &str) -> Edit {
    let now = fixture::now();
    Edit {
        id,
        account: "main".into(),
        offer_id,
        part_number: Some(format!("PN-{offer_id}")),
        values: Values {
            sale_price: Some(d("99.9000")),
            ..Default::default()
        },
        base: Values {
            sale_price: Some(d("104.9500")),
            ..Default::default()
        },
        created_at: now,
        edited_at: now,
        revision: 1,
        state,
        message: (!message.is_empty()).then(|| message.to_string()),
        remote: Values {
            sale_price: (state == EditState::Conflict).then(|| d("120.0000")),
            ..Default::default()
        },
        remote_changed_seen_at: None,
        settled_by: None,
        settled_run_id: None,
        pushed_at: None,
        updated_at: now,
        queued_by: Some("ana@shop via cli".into()),
    }
}

fn with_edits() -> App {
    let mut app = fixture::app();
    app.update(Msg::Edits(Ok(vec![
        edit(
            4,
            1012,
            EditState::Conflict,
            "eMAG changed sale_price; waiting for the operator",
        ),
        edit(
            3,
            1013,
            EditState::Rejected,
            "Sale price must be between 80.0000 and 150.0000",
        ),
        edit(2, 1014, EditState::Pending, ""),
        edit(
            1,
            1015,
            EditState::Pushed,
            "Offer 1015 updated successfully",
        ),
    ])));
    app
}

#[test]
fn five_opens_changes_and_loads_edits_every_tick() {
    let mut app = fixture::app();
    assert_eq!(app.update(c('5')), vec![Effect::LoadEdits]);
    assert_eq!(app.tab, Tab::Changes);
    let fx = app.update(Msg::Tick(fixture::now()));
    assert!(fx.contains(&Effect::LoadEdits));
}

#[test]
fn e_on_a_product_opens_the_form_and_enter_queues_only_what_changed() {
    let mut app = fixture::app();
    app.update(c('3'));
    app.update(Msg::Products {
        seq: app.products.seq,
        append: false,
        rows: Ok(fixture::app().products.rows),
    });
    if app.products.rows.is_empty() {
        // The fixture has no rows loaded in this state: nothing to edit, and it says so.
        app.update(c('e'));
        assert!(app.popups.is_empty());
        return;
    }
    let row = app.products.rows[0].clone();
    app.update(c('e'));
    assert!(matches!(app.popups.last(), Some(Popup::Edit(_))));
    // Replace the prefilled price, leave the stock as it was, set the status.
    for _ in 0..12 {
        app.update(k(KeyCode::Backspace));
    }
    for ch in "99.9".chars() {
        app.update(c(ch));
    }
    app.update(k(KeyCode::Down));
    app.update(k(KeyCode::Down));
    app.update(k(KeyCode::Down));
    app.update(k(KeyCode::Right));
    let fx = app.update(k(KeyCode::Enter));
    assert_eq!(
        fx,
        vec![Effect::QueueEdit {
            account: row.account.clone(),
            id: row.id,
            request: EditRequest {
                sale_price: Some(d("99.9")),
                status: Some(OfferStatus::Active),
                ..Default::default()
            },
        }]
    );
    // A refusal from validation stays in the form; success closes it.
    app.update(Msg::EditQueued(Err(
        magsync::tui::error::JobError::Refused(
            "the price 99.9 is below the minimum sale price 100.0000 of offer 1".into(),
        ),
    )));
    match app.popups.last() {
        Some(Popup::Edit(f)) => assert!(f.error.as_deref().unwrap().contains("minimum")),
        other => panic!("form closed: {other:?}"),
    }
    let fx = app.update(Msg::EditQueued(Ok(edit(9, row.id, EditState::Pending, ""))));
    assert!(app.popups.is_empty());
    assert_eq!(fx[0], Effect::LoadEdits);
    // The products list reloads in place to show the edited values.
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::Search { after: None, .. })),
        "{fx:?}"
    );
    // Esc never queues.
    app.update(c('e'));
    assert!(app.update(k(KeyCode::Esc)).is_empty());
    assert!(app.popups.is_empty());
}

#[test]
fn p_previews_and_l_r_resolve_only_conflicts() {
    let mut app = with_edits();
    app.update(c('5'));
    // `p` reads a preview first; the push itself is in tui_push.
    assert_eq!(
        app.update(c('p')),
        vec![Effect::PreviewPush(magsync::edits::preview::Scope::All)]
    );
    assert_eq!(
        app.update(c('l')),
        vec![Effect::Resolve {
            account: "main".into(),
            id: 1012,
            keep: Keep::Local
        }]
    );
    app.update(k(KeyCode::Down));
    assert!(
        app.update(c('r')).is_empty(),
        "a rejected edit is not a conflict"
    );
    assert!(app.toast.as_ref().unwrap().error);
    app.update(k(KeyCode::Up));
    assert_eq!(
        app.update(c('r')),
        vec![Effect::Resolve {
            account: "main".into(),
            id: 1012,
            keep: Keep::Remote
        }]
    );
}

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    t
}

#[test]
fn changes_tab_and_edit_form_render() {
    let mut app = with_edits();
    app.update(c('5'));
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(&mut app, w, h);
        insta::assert_snapshot!(format!("changes_tab_{w}x{h}"), t.backend());
        // States carry colour: conflicts warn, rejections are errors, pushes are ok.
        let buf = t.backend().buffer();
        // The colour of `text` on the table row of offer `id`.
        let fg = |id: &str, text: &str| {
            (0..buf.area.height)
                .find_map(|y| {
                    let line: Vec<&str> =
                        (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
                    if !line.concat().contains(id) {
                        return None;
                    }
                    (0..buf.area.width)
                        .find(|&x| line[x as usize..].concat().starts_with(text))
                        .map(|x| buf[(x, y)].fg)
                })
                .unwrap_or_else(|| panic!("{text} not on the row of {id}"))
        };
        assert_eq!(
            fg("1012", "conflict"),
            app.theme.warn().fg.unwrap_or_default()
        );
        assert_eq!(
            fg("1013", "rejected"),
            app.theme.error().fg.unwrap_or_default()
        );
        assert_eq!(fg("1015", "pushed"), app.theme.ok().fg.unwrap_or_default());
    }
    let mut app = fixture::app();
    app.update(c('3'));
    if !app.products.rows.is_empty() {
        app.update(c('e'));
        for (w, h) in [(80, 24), (120, 40)] {
            let t = render(&mut app, w, h);
            insta::assert_snapshot!(format!("edit_form_{w}x{h}"), t.backend());
        }
    }
}

/// The edit and bulk forms' fields are named and wrap both ways, as the options form's do.
#[test]
fn form_fields_are_named_and_wrap_around() {
    use magsync::tui::tabs::FormField;
    use magsync::tui::tabs::changes::EditField;
    use magsync::tui::tabs::products::BulkField;
    assert_eq!(EditField::Status.next(true), EditField::Price);
    assert_eq!(EditField::Price.next(false), EditField::Status);
    assert_eq!(EditField::Price.next(true), EditField::Recommended);
    assert_eq!(BulkField::Clamp.next(true), BulkField::PriceMode);
    assert_eq!(BulkField::PriceMode.next(false), BulkField::Clamp);
    assert_eq!(
        EditField::ALL.map(EditField::row),
        [0, 1, 2, 3],
        "the form's lines follow ALL"
    );
    let mut app = fixture::app();
    app.tab = Tab::Products;
    let key = |code| Msg::Key(KeyEvent::new(code, KeyModifiers::NONE));
    app.update(key(KeyCode::Char('e')));
    app.update(key(KeyCode::BackTab));
    match app.popups.last() {
        Some(Popup::Edit(f)) => assert_eq!(f.focus, EditField::Status),
        other => panic!("{other:?}"),
    }
    // Space on the status field toggles it; on a text field it would be typed.
    app.update(key(KeyCode::Char(' ')));
    match app.popups.last() {
        Some(Popup::Edit(f)) => assert_eq!(f.status, Some(OfferStatus::Active)),
        other => panic!("{other:?}"),
    }
}

//! The dashboard's safe edit workflow as state tests (keys in, effects out): a push is
//! previewed and confirmed, marked rows narrow it, `n` leaves edits pending, `d` withdraws
//! after a confirmation, `b` edits marked products in bulk; and the preview renders.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::edits::bulk::{BulkChange, PriceOp};
use magsync::edits::preview::{FieldChange, Preview, PreviewItem, Scope};
use magsync::edits::{Edit, EditState, Values};
use magsync::tui::app::{App, Confirm, Effect, Msg, Popup};
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

fn edit(id: i64, offer_id: i64, state: EditState) -> Edit {
    let now = fixture::now();
    Edit {
        id,
        account: if id % 2 == 0 { "main" } else { "fbe" }.into(),
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
        message: None,
        remote: Values::default(),
        remote_changed_seen_at: None,
        settled_by: None,
        settled_run_id: None,
        pushed_at: None,
        updated_at: now,
        queued_by: Some("ana@shop via cli".into()),
    }
}

/// The Changes tab with three pending edits (ids 6, 5, 4) and a pushed one.
fn changes() -> App {
    let mut app = fixture::app();
    app.update(c('5'));
    app.update(Msg::Edits(Ok(vec![
        edit(6, 2001, EditState::Pending),
        edit(5, 2002, EditState::Pending),
        edit(4, 2003, EditState::Pending),
        edit(1, 2004, EditState::Pushed),
    ])));
    app
}

fn item(edit_id: i64, account: &str, offer_id: i64) -> PreviewItem {
    PreviewItem {
        edit_id,
        revision: 1,
        account: account.into(),
        offer_id,
        name: Some(format!("Lampă de birou LED {offer_id}")),
        part_number: Some(format!("PN-{offer_id}")),
        changes: vec![FieldChange {
            field: "sale_price",
            old: Some("1234567.1488".into()),
            new: Some("1199999.9999".into()),
        }],
        queued_by: Some("ana@shop via tui".into()),
        note: None,
    }
}

fn preview(items: Vec<PreviewItem>) -> Preview {
    Preview { items }
}

#[test]
fn push_of_marked_rows_is_previewed_then_confirmed_and_sends_only_them() {
    let mut app = changes();
    // Space marks the row under the cursor and moves down; the pushed edit cannot be marked.
    app.update(k(KeyCode::Char(' ')));
    app.update(k(KeyCode::Down));
    app.update(k(KeyCode::Char(' ')));
    assert_eq!(
        app.changes.marked.iter().copied().collect::<Vec<_>>(),
        vec![4, 6]
    );
    app.update(k(KeyCode::Char(' ')));
    assert!(
        app.toast.as_ref().unwrap().error,
        "pushed edits are not markable"
    );
    assert_eq!(app.changes.marked.len(), 2);

    let fx = app.update(c('p'));
    assert_eq!(fx, vec![Effect::PreviewPush(Scope::Edits(vec![4, 6]))]);
    assert!(
        app.popups.is_empty(),
        "nothing shown before the preview is read"
    );
    let p = preview(vec![item(4, "main", 2003), item(6, "main", 2001)]);
    assert!(app.update(Msg::PushPreview(Ok(p.clone()))).is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::PushPreview(_))));
    // A stray key neither pushes nor closes the preview.
    assert!(app.update(c('x')).is_empty());
    assert!(matches!(app.popups.last(), Some(Popup::PushPreview(_))));
    // Enter confirms: exactly the previewed edits go out.
    let fx = app.update(k(KeyCode::Enter));
    assert_eq!(fx, vec![Effect::Push(p.clone())]);
    assert!(app.popups.is_empty());
    assert!(app.changes.pushing);
    assert!(app.changes.marked.is_empty(), "marks are spent by the push");
    assert_eq!(p.selection("main"), vec![(4, 1), (6, 1)]);
    // One push at a time.
    assert!(app.update(c('p')).is_empty());
    app.update(Msg::Pushed(Ok(vec![])));
    assert!(!app.changes.pushing);
}

#[test]
fn n_or_esc_in_the_preview_leaves_edits_pending() {
    for key in [c('n'), k(KeyCode::Esc)] {
        let mut app = changes();
        assert_eq!(app.update(c('p')), vec![Effect::PreviewPush(Scope::All)]);
        app.update(Msg::PushPreview(Ok(preview(vec![item(6, "main", 2001)]))));
        assert!(app.update(key).is_empty());
        assert!(app.popups.is_empty());
        assert!(!app.changes.pushing);
        assert!(app.toast.as_ref().unwrap().text.contains("stay pending"));
    }
    // `P` previews the selected edit's account only; an empty preview says so.
    let mut app = changes();
    assert_eq!(
        app.update(c('P')),
        vec![Effect::PreviewPush(Scope::Account("main".into()))]
    );
    app.update(Msg::PushPreview(Ok(Preview::default())));
    assert!(app.popups.is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains("nothing to push"));
}

#[test]
fn a_preview_over_the_limit_cannot_be_confirmed() {
    let mut app = changes();
    app.push_max_offers = 1;
    app.update(c('p'));
    app.update(Msg::PushPreview(Ok(preview(vec![
        item(4, "main", 2003),
        item(6, "main", 2001),
    ]))));
    assert!(app.update(c('y')).is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains("max_offers"));
    assert!(matches!(app.popups.last(), Some(Popup::PushPreview(_))));
}

#[test]
fn d_withdraws_after_a_confirmation() {
    let mut app = changes();
    // The selected edit, when nothing is marked.
    assert!(app.update(c('d')).is_empty());
    match app.popups.last() {
        Some(Popup::Confirm(Confirm::Discard { ids, what })) => {
            assert_eq!(ids, &vec![6]);
            assert!(what.contains("2001"), "{what}");
        }
        other => panic!("no confirmation: {other:?}"),
    }
    assert!(app.update(c('n')).is_empty(), "n keeps the edit");
    assert!(app.popups.is_empty());
    // The marked edits, when some are.
    app.update(k(KeyCode::Char(' ')));
    app.update(k(KeyCode::Char(' ')));
    app.update(c('d'));
    assert_eq!(app.update(c('y')), vec![Effect::Discard(vec![5, 6])]);
    let fx = app.update(Msg::Discarded(Ok(vec![
        edit(5, 2002, EditState::Pending),
        edit(6, 2001, EditState::Pending),
    ])));
    assert!(fx.contains(&Effect::LoadEdits));
    assert!(app.changes.marked.is_empty());
    assert!(
        app.toast
            .as_ref()
            .unwrap()
            .text
            .contains("withdrew 2 edits")
    );
    // A pushed edit cannot be withdrawn.
    app.update(k(KeyCode::End));
    app.update(c('G'));
    assert!(app.update(c('d')).is_empty());
    assert!(app.popups.is_empty());
}

#[test]
fn bulk_edit_changes_only_the_marked_products() {
    let mut app = fixture::app();
    app.update(c('3'));
    let rows = app.products.rows.clone();
    assert!(rows.len() > 3);
    app.update(k(KeyCode::Char(' ')));
    app.update(k(KeyCode::Down));
    app.update(k(KeyCode::Char(' ')));
    assert_eq!(app.products.marked.len(), 2);
    app.update(c('b'));
    assert!(matches!(app.popups.last(), Some(Popup::Bulk(_))));
    // Enter with nothing chosen says what is missing.
    assert!(app.update(k(KeyCode::Enter)).is_empty());
    match app.popups.last() {
        Some(Popup::Bulk(f)) => assert!(f.error.as_deref().unwrap().contains("nothing to change")),
        other => panic!("{other:?}"),
    }
    // price: multiply by 1.1, kept within min/max.
    for _ in 0..3 {
        app.update(k(KeyCode::Right));
    }
    app.update(k(KeyCode::Down));
    for ch in "1.1".chars() {
        app.update(c(ch));
    }
    let fx = app.update(k(KeyCode::Enter));
    // Space marked the first row and moved down; Down skipped the second; Space marked the third.
    let want: Vec<(String, i64)> = [&rows[0], &rows[2]]
        .iter()
        .map(|r| (r.account.clone(), r.id))
        .collect();
    assert_eq!(
        fx,
        vec![Effect::QueueBulk {
            targets: want,
            change: BulkChange {
                price: Some(PriceOp::Multiply(d("1.1"))),
                stock: None,
                clamp: true,
            },
        }]
    );
    let fx = app.update(Msg::BulkQueued(vec![
        Ok(edit(8, rows[2].id, EditState::Pending)),
        Err(magsync::tui::error::JobError::Offer {
            id: 9,
            error: Box::new(magsync::tui::error::JobError::Refused(
                "the price 300 is above the maximum sale price 200.0000".into(),
            )),
        }),
    ]));
    assert!(app.popups.is_empty());
    assert!(app.products.marked.is_empty());
    assert!(fx.contains(&Effect::LoadEdits));
    let toast = app.toast.as_ref().unwrap();
    assert!(
        toast.error && toast.text.contains("1 queued, 1 refused"),
        "{}",
        toast.text
    );
}

#[test]
fn the_preview_renders_every_field_and_its_keys_at_each_size() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = changes();
        app.size = (w, h);
        app.update(c('p'));
        app.update(Msg::PushPreview(Ok(preview(vec![
            item(4, "main", 2003),
            item(6, "main", 2001),
        ]))));
        let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
        t.draw(|f| views::draw(f, &app)).unwrap();
        let buf = t.backend().buffer();
        let text: String = (0..h)
            .map(|y| (0..w).map(|x| buf[(x, y)].symbol()).collect::<String>() + "\n")
            .collect();
        insta::assert_snapshot!(format!("push_preview_{w}x{h}"), text);
        for needle in [
            "1234567.1488",
            "1199999.9999",
            "offer 2003",
            "y/Enter",
            "n/Esc",
        ] {
            assert!(text.contains(needle), "{w}x{h}: {needle} missing:\n{text}");
        }
        // The new value is in the accent colour.
        let (x, y) = (0..h)
            .find_map(|y| {
                let line: String = (0..w).map(|x| buf[(x, y)].symbol()).collect();
                line.find("1199999.9999")
                    .map(|b| (line[..b].chars().count() as u16, y))
            })
            .unwrap();
        assert_eq!(buf[(x, y)].fg, app.theme.accent().fg.unwrap_or_default());
    }
}

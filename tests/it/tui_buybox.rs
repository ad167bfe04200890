//! The Buy button tab (6) and the price part of the offer details: snapshots at 80×24 and
//! 120×40, the colours that carry meaning, and the keys (queue a suggestion, lost only).

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use magsync::edits::EditRequest;
use magsync::model::Offer;
use magsync::model::OfferStatus;
use magsync::price::{BuyboxEntry, Move, Suggestion};
use magsync::store::history::HistoryPoint;
use magsync::store::offers::StoredOffer;
use magsync::store::search::ProductRow;
use magsync::tui::app::{App, Effect, Msg, OfferDetail, Popup, PricePanel, Tab};
use magsync::tui::fixture;
use magsync::tui::views;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use rust_decimal::Decimal;
use std::str::FromStr;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn entry(id: i64, movement: Move, sale: &str, best: &str, suggestion: Suggestion) -> BuyboxEntry {
    let (sale, best) = (d(sale), d(best));
    let gap = sale - best;
    BuyboxEntry {
        account: "main".into(),
        id,
        part_number: Some(format!("LMP-{id}")),
        name: Some(format!("Lampă LED birou cu încărcare wireless, model {id}")),
        movement,
        rank_before: Some(if movement == Move::Lost { 1 } else { 3 }),
        rank: Some(if movement == Move::Lost { 2 } else { 1 }),
        currency: Some("RON".into()),
        sale_price: Some(sale),
        best_price: Some(best),
        gap: Some(gap),
        gap_percent: Some((gap * Decimal::ONE_HUNDRED / best).round_dp(2)),
        number_of_offers: Some(4),
        suggestion,
        vat_percent: Some(d("21")),
        since: fixture::now() - Duration::minutes(5),
    }
}

fn buybox_app() -> App {
    let mut app = fixture::app();
    app.tab = Tab::Buybox;
    app.buybox.loaded = true;
    app.buybox.last_load = Some(fixture::now());
    app.buybox.rows = vec![
        entry(
            1042,
            Move::Lost,
            "104.9500",
            "99.9000",
            Suggestion::Price { price: d("99.89") },
        ),
        entry(
            2077,
            Move::Lost,
            "58.0000",
            "41.0000",
            Suggestion::None {
                reason: "cannot win: the best price 41.00 less the step is 40.99, under the minimum price 46.40".into(),
            },
        ),
        entry(
            3105,
            Move::Won,
            "12.5000",
            "12.5000",
            Suggestion::None {
                reason: "holds the buy button".into(),
            },
        ),
    ];
    app
}

fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    app.size = (w, h);
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| views::draw(f, app)).unwrap();
    t
}

fn snap(name: &str, app: &mut App) {
    for (w, h) in [(80, 24), (120, 40)] {
        let t = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t.backend());
    }
}

fn cell_fg(t: &Terminal<TestBackend>, text: &str) -> Color {
    let buf = t.backend().buffer();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
        if let Some(byte) = line.find(text) {
            let x = line[..byte].chars().count() as u16;
            return buf[(x, y)].fg;
        }
    }
    panic!("\"{text}\" not on screen");
}

#[test]
fn buy_button_tab_renders_losers_winners_and_suggestions() {
    let mut app = buybox_app();
    snap("tab", &mut app);
    let t = render(&mut app, 120, 40);
    let theme = &app.theme;
    assert_eq!(cell_fg(&t, "lost   1→2"), theme.error().fg.unwrap());
    assert_eq!(cell_fg(&t, "won    3→1"), theme.ok().fg.unwrap());
    assert_eq!(cell_fg(&t, "99.89"), theme.accent().fg.unwrap());
    assert_eq!(cell_fg(&t, "cannot win"), theme.warn().fg.unwrap());

    // A Smart Deals answer for the selected offer: the target with and without VAT.
    app.buybox.smart_deals.insert(
        ("main".into(), 1042),
        magsync::tui::tabs::buybox::SmartDealCheck::Done {
            deal: magsync::price::smart_deals::decode(
                1042,
                &serde_json::json!({"currentPrice": "104.9500", "targetPrice": "97.6000", "currency": "RON"}),
            ),
            at: fixture::now(),
        },
    );
    snap("tab_smart_deal", &mut app);

    let mut empty = fixture::app();
    empty.tab = Tab::Buybox;
    empty.buybox.loaded = true;
    snap("tab_empty", &mut empty);
}

#[test]
fn a_queues_the_suggestion_as_an_edit_and_l_shows_lost_only() {
    let mut app = buybox_app();
    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    assert_eq!(
        app.update(key('a')),
        vec![Effect::QueueEdit {
            account: "main".into(),
            id: 1042,
            request: EditRequest {
                sale_price: Some(d("99.89")),
                ..Default::default()
            },
        }]
    );
    // The next offer cannot win: nothing is queued and the reason is shown.
    app.update(Msg::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE)));
    assert!(app.update(key('a')).is_empty());
    assert!(app.toast.as_ref().unwrap().text.contains("cannot win"));
    let fx = app.update(key('l'));
    assert!(app.buybox.losing_only);
    assert!(matches!(fx[..], [Effect::LoadBuybox { losing: true, .. }]));
    // A fresh list keeps the cursor on the same offer.
    let rows = app.buybox.rows.clone();
    app.update(Msg::Buybox(Ok(rows[1..].to_vec())));
    assert_eq!(app.buybox.selected_row().unwrap().id, 2077);
    // Enter opens the offer's details.
    let fx = app.update(Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)));
    assert_eq!(
        fx,
        vec![Effect::LoadOffer {
            account: "main".into(),
            id: 2077
        }]
    );
}

fn point(days_ago: i64, price: &str, currency: &str, rank: i32, stock: i32) -> HistoryPoint {
    HistoryPoint {
        at: fixture::now() - Duration::days(days_ago),
        sale_price: Some(d(price)),
        currency: Some(currency.into()),
        stock: Some(stock),
        status: Some(OfferStatus::Active),
        buy_button_rank: Some(rank),
        best_offer_sale_price: None,
        number_of_offers: Some(4),
    }
}

#[test]
fn offer_details_show_sparklines_lowest_price_campaigns_and_other_accounts() {
    let mut app = fixture::app();
    app.tab = Tab::Products;
    let offer = Offer {
        id: 1042,
        part_number: Some("LMP-450-BK".into()),
        name: Some("Lampă LED birou cu încărcare wireless, negru".into()),
        sale_price: Some(d("49.9000")),
        currency: Some("EUR".into()),
        buy_button_rank: Some(2),
        ..Default::default()
    };
    let history = vec![
        point(95, "99.0000", "BGN", 1, 12),
        point(70, "95.0000", "BGN", 1, 10),
        point(25, "50.9000", "EUR", 1, 8),
        point(12, "47.5000", "EUR", 1, 6),
        point(3, "49.9000", "EUR", 2, 5),
    ];
    let detail = OfferDetail {
        offer: StoredOffer {
            account: "main".into(),
            offer,
            content_hash: "abc".into(),
            first_seen_at: fixture::now() - Duration::days(95),
            last_seen_at: fixture::now(),
            last_changed_at: fixture::now() - Duration::days(3),
            missing_since: None,
            last_run_id: Some(42),
        },
        changes: vec![],
        pending: None,
        scroll: 0,
        link: None,
        prices: PricePanel {
            history,
            siblings: vec![ProductRow {
                account: "fbe".into(),
                id: 88_123,
                part_number: None,
                part_number_key: None,
                name: None,
                brand: None,
                sale_price: Some(d("51.2000")),
                currency: Some("EUR".into()),
                general_stock: Some(14),
                status: None,
                buy_button_rank: Some(1),
                missing_since: None,
                last_changed_at: chrono::DateTime::UNIX_EPOCH,
            }],
            vat_percent: Some(d("20")),
        },
    };
    app.popups.push(Popup::Offer(Box::new(detail)));
    snap("details", &mut app);
    let t = render(&mut app, 120, 40);
    let screen: String = {
        let buf = t.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    // 30 days back only euro prices were in force: 47.50 is the lowest, and the campaigns
    // are computed against it.
    assert!(
        screen.contains("lowest, 30 days       47.50 EUR"),
        "{screen}"
    );
    assert!(screen.contains("−10 % 42.75"), "{screen}");
    assert!(
        screen.contains("the same with VAT   −5 % 54.15 · −10 % 51.30"),
        "{screen}"
    );
    assert!(screen.contains("47.50 EUR (57.00 with VAT)"), "{screen}");
    // Prices as customers see them, with the offer's 20 % VAT, next to eMAG's.
    assert!(screen.contains("49.9000 EUR · 59.88 with VAT"), "{screen}");
    assert!(screen.contains("20 % (VAT id"), "{screen}");
    // The 90-day chart converts the leva prices: 99 BGN is 50.6179 EUR, under the 50.90 paid
    // later, so the range tops at 50.90.
    assert!(screen.contains("47.50…50.90 EUR"), "{screen}");
    assert!(
        screen.contains("fbe #88123: 51.20 EUR rank 1 stock 14"),
        "{screen}"
    );
    assert!(screen.contains('█') && screen.contains('▁'), "{screen}");
    // Below: every point of the offer's price/stock/status history, newest first.
    let t = render(&mut app, 120, 120);
    let buf = t.backend().buffer();
    let tall: Vec<String> = (0..buf.area.height)
        .map(|y| {
            (0..buf.area.width)
                .map(|x| buf[(x, y)].symbol())
                .collect::<String>()
        })
        .collect();
    let at = |needle: &str| {
        tall.iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not in\n{}", tall.join("\n")))
    };
    let head = at("History (");
    let newest = at("price 49.90 EUR  stock 5  status active  rank 2");
    let older = at("price 47.50 EUR  stock 6  status active  rank 1");
    assert!(head < newest && newest < older, "{}", tall.join("\n"));
}

/// The Buy button tab over the simulator, through the effects runner and the engine's
/// backend: the list carries each offer's VAT rate (read once through `vat/read`), and `s`
/// asks eMAG's Smart Deals check for the selected offer off the UI task, one request.
#[tokio::test]
async fn smart_deals_check_from_the_buy_button_tab_against_the_simulator() {
    use crate::emag_support::{engine, full, run_ok, start, stats};
    use magsync::sim::SimConfig;
    use magsync::testing::TestDb;
    use magsync::tui::effects::Executor;
    use magsync::tui::engine_backend::{EngineBackend, OwnRuns};
    use magsync::tui::tabs::buybox::SmartDealCheck;
    use std::sync::Arc;

    let db = TestDb::sqlite().await;
    let h = start(SimConfig {
        competition_rate: 0.05,
        ..crate::emag_support::sim_config(&[("main", 400)])
    })
    .await;
    let e = engine(&db, &h, &["main"]);
    run_ok(&e, "main", full(true)).await;
    run_ok(&e, "main", full(true)).await;
    let (tx, _rx) = tokio::sync::mpsc::channel(16);
    let runner = Executor {
        store: db.store.clone(),
        engine: Arc::new(EngineBackend::new(e.clone())),
        runs: Arc::new(OwnRuns::new()),
        accounts: vec!["main".into()],
        tx,
        health: magsync::config::Settings::default().health,
        index: magsync::index::SharedIndex::new(),
    };

    let mut app = fixture::app();
    app.tab = Tab::Buybox;
    app.buybox.losing_only = true;
    let load = Effect::LoadBuybox {
        losing: true,
        options: Default::default(),
    };
    let msg = runner.run(load.clone()).await.unwrap();
    app.update(msg);
    assert!(
        !app.buybox.rows.is_empty(),
        "some offer lost the buy button"
    );
    let rates = db.store.accounts().vat_rates("main").await.unwrap();
    assert!(!rates.is_empty(), "vat/read was cached");
    for row in &app.buybox.rows {
        let offer = db
            .store
            .offers()
            .get("main", row.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            row.vat_percent,
            magsync::price::smart_deals::rate_percent(&rates, offer.offer.vat_id),
            "offer {}",
            row.id
        );
        assert!(row.vat_percent.is_some());
    }
    // Reloading the list reads the cached rates: no request to eMAG.
    let before = stats(&h, "main").await["requests"].as_u64().unwrap();
    runner.run(load).await.unwrap();
    assert_eq!(
        stats(&h, "main").await["requests"].as_u64().unwrap(),
        before
    );

    let key = |c: char| Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    let row = app.buybox.selected_row().unwrap().clone();
    let fx = app.update(key('s'));
    assert_eq!(
        fx,
        vec![Effect::SmartDeals {
            account: "main".into(),
            ids: vec![row.id]
        }]
    );
    assert_eq!(app.buybox.smart_deal(), Some(&SmartDealCheck::Checking));
    // One check per offer at a time.
    assert!(app.update(key('s')).is_empty());

    let msg = runner.run(fx[0].clone()).await.unwrap();
    assert_eq!(
        stats(&h, "main").await["requests"].as_u64().unwrap(),
        before + 1,
        "one request for one offer"
    );
    app.update(msg);
    let Some(SmartDealCheck::Done { deal, .. }) = app.buybox.smart_deal() else {
        panic!("{:?}", app.buybox.smart_deal());
    };
    let (current, target) = (deal.current_price.unwrap(), deal.target_price.unwrap());
    assert_eq!(
        Some(current),
        row.sale_price,
        "eMAG's current price is the mirror's"
    );
    assert!(target < current || deal.eligible == Some(true), "{deal:?}");
    assert_eq!(deal.distance, Some(current - target));
    let t = render(&mut app, 120, 40);
    let screen: String = {
        let buf = t.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let shown = format!(
        "Smart Deals: target {}",
        magsync::price::money::show(target)
    );
    assert!(screen.contains(&shown), "{screen}");
    assert!(screen.contains("with VAT"), "{screen}");
    h.shutdown().await;
}

/// A failed check says why on the selected offer, and the whole request's failure marks
/// every asked offer.
#[test]
fn a_failed_smart_deals_check_is_shown_in_red() {
    let mut app = buybox_app();
    let key = Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
    let fx = app.update(key);
    assert_eq!(fx.len(), 1);
    app.update(Msg::SmartDeals {
        account: "main".into(),
        ids: vec![1042],
        result: Err(magsync::tui::error::JobError::Config(
            "this build has no eMAG client".into(),
        )),
    });
    let t = render(&mut app, 80, 24);
    assert_eq!(
        cell_fg(&t, "Smart Deals check failed"),
        app.theme.error().fg.unwrap()
    );
    assert!(app.toast.as_ref().unwrap().error);
}

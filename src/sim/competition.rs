//! The moving market (`--competition-rate`): before each `product_offer/read` a seeded share of
//! an account's offers sees its competition change — the best competing price, how many sellers
//! offer the product and who holds the buy button. An offer priced at or under the best
//! competing price tends to win (rank 1); one priced above tends to lose. Offers never moved
//! keep the static values derived from their content, so a simulator without competition
//! serves exactly what it served before.

use super::Platform;
use super::catalogue::{NO_PRICE, Offer, round_div};
use super::content;
use super::rng::Mix;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Most sellers a simulated product has.
const MAX_OFFERS: u8 = 12;

/// What eMAG shows about an offer's market: the price of the offer holding the buy button,
/// the number of offers of the product and this offer's buy-button rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Market {
    pub best: i64,
    pub n_offers: u8,
    pub rank: u8,
}

/// The offer's market: its moved state, or the static one derived from its content.
pub fn market(o: &Offer, platform: Platform) -> Market {
    if o.rank != 0 {
        let best = if o.rank == 1 { o.sale } else { o.best };
        return Market {
            best,
            n_offers: o.n_offers,
            rank: o.rank,
        };
    }
    let ident = content::ident(o.content);
    let d = content::details(o.content, &ident);
    let mut best = o.sale * d.best_offer_pct / 100;
    if platform == Platform::Hu {
        best = best / 10_000 * 10_000;
    }
    Market {
        best,
        n_offers: d.number_of_offers,
        rank: d.rank,
    }
}

fn whole(platform: Platform, units: i64) -> i64 {
    match platform {
        Platform::Hu => (round_div(units, 10_000) * 10_000).max(10_000),
        _ => units.max(1),
    }
}

/// Moves one offer's market: the number of sellers drifts by one, the best competing price
/// lands between 90 % and 108 % of the offer's own price, and the rank follows the price.
pub fn move_offer(o: &mut Offer, rng: &mut ChaCha8Rng, platform: Platform) {
    let now = market(o, platform);
    let n = match rng.random_range(0..4) {
        0 => now.n_offers.saturating_sub(1),
        1 => now.n_offers.saturating_add(1),
        _ => now.n_offers,
    }
    .clamp(1, MAX_OFFERS);
    o.n_offers = n;
    if n == 1 {
        // Alone on the product: the offer holds the buy button at its own price.
        o.rank = 1;
        o.best = o.sale;
        return;
    }
    let pct = rng.random_range(90..=108);
    o.best = whole(platform, o.sale * pct / 100);
    let win = if o.sale <= o.best {
        rng.random_range(0..100) < 85
    } else {
        rng.random_range(0..100) < 10
    };
    o.rank = if win {
        1
    } else {
        rng.random_range(2..=n.min(5))
    };
}

/// After the seller changes the offer's own price: at or under the best competing price it
/// takes the buy button, above it it gives the buy button up; a static market stays as it is.
pub fn reprice(o: &mut Offer) {
    if o.rank == 0 || o.n_offers <= 1 {
        if o.rank != 0 {
            o.best = o.sale;
        }
        return;
    }
    if o.sale <= o.best {
        o.rank = 1;
    } else if o.rank == 1 {
        o.rank = 2;
    }
}

/// The Smart Deals target of an offer: a seeded 3–12 % under the lower of its own price and
/// the best competing price (eMAG does not publish its formula), whole forints on HU.
pub fn smart_deals_target(o: &Offer, platform: Platform) -> i64 {
    let m = market(o, platform);
    let base = if m.best != NO_PRICE && m.best > 0 {
        m.best.min(o.sale)
    } else {
        o.sale
    };
    let off = 3 + Mix::new(o.content ^ 0x5D_EA15).below(10) as i64;
    whole(platform, base * (100 - off) / 100)
}

/// How many offers move before one read at `rate` out of `len` offers (at least one when the
/// rate is above 0).
pub fn moves_per_read(rate: f64, len: usize) -> usize {
    if rate <= 0.0 || len == 0 {
        return 0;
    }
    ((rate * len as f64).round() as usize).clamp(1, len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimAccount;
    use crate::sim::catalogue::generate_account;
    use rand::SeedableRng;

    #[test]
    fn offers_at_or_under_the_best_price_tend_to_win() {
        let account = SimAccount::new("main", 5_000);
        let mut offers = generate_account(42, &account, 0.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let (mut cheap, mut cheap_win, mut dear, mut dear_win) = (0, 0, 0, 0);
        for o in &mut offers {
            move_offer(o, &mut rng, Platform::Ro);
            assert!(o.rank >= 1 && o.rank <= o.n_offers.max(1), "{o:?}");
            if o.n_offers == 1 {
                assert_eq!((o.rank, o.best), (1, o.sale));
                continue;
            }
            if o.sale <= o.best {
                cheap += 1;
                cheap_win += usize::from(o.rank == 1);
            } else {
                dear += 1;
                dear_win += usize::from(o.rank == 1);
            }
        }
        assert!(cheap_win * 100 / cheap > 75, "{cheap_win}/{cheap}");
        assert!(dear_win * 100 / dear < 20, "{dear_win}/{dear}");
    }

    #[test]
    fn a_seller_price_under_the_best_wins_and_over_loses() {
        let account = SimAccount::new("main", 10);
        let mut o = generate_account(42, &account, 0.0).remove(0);
        o.n_offers = 4;
        o.rank = 3;
        o.best = o.sale - 100;
        o.sale -= 200;
        reprice(&mut o);
        assert_eq!(o.rank, 1);
        o.sale += 500;
        reprice(&mut o);
        assert_eq!(o.rank, 2);
        assert_eq!(market(&o, Platform::Ro).best, o.best);
    }

    #[test]
    fn the_same_seed_moves_the_same_market() {
        use crate::sim::rng::chacha;
        use crate::sim::state::AccountState;
        let account = SimAccount::new("main", 2_000);
        let moved = |seed: u64| {
            let mut state = AccountState::new(42, &account, 0.0);
            let mut rng = chacha(seed, "main", 4);
            for _ in 0..5 {
                state.compete(&mut rng, Platform::Ro, moves_per_read(0.05, 2_000));
            }
            state.offers
        };
        let (a, b, c) = (moved(11), moved(11), moved(12));
        assert_eq!(a, b);
        assert_ne!(a, c);
        let n = a.iter().filter(|o| o.rank != 0).count();
        assert!((300..=500).contains(&n), "{n} offers moved");
    }

    #[test]
    fn smart_deals_target_is_under_both_prices() {
        let account = SimAccount::new("main", 200);
        for o in generate_account(42, &account, 0.0) {
            let t = smart_deals_target(&o, Platform::Ro);
            assert!(t > 0 && t < o.sale, "{t} vs {}", o.sale);
        }
    }
}

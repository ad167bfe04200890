//! The compact mutable state of each offer and the seeded generation of a whole account.
//! Only what saves, churn and mutations can change lives here; text content is derived from
//! `content` (see `content.rs`). About 56 bytes per offer.

use super::rng::{Mix, key, splitmix};
use super::{AccountKind, Platform, ShapeVariant, SimAccount};

/// `rec` value meaning `recommended_price: null`.
pub const NO_PRICE: i64 = -1;
/// Flag: variant-A stock entries carry `warehouse_id` (real dumps show both forms).
pub const FLAG_WAREHOUSE: u8 = 1;
/// Flag: locked in the active campaign `BF` (not visible in the offer object, as on eMAG).
pub const FLAG_CAMPAIGN: u8 = 2;
/// Flag: priced in leva (a `bg` catalogue from before the euro, see `/__admin/currency`).
pub const FLAG_BGN: u8 = 4;
/// Leva per euro, the fixed conversion rate of Bulgaria's changeover.
pub const BGN_PER_EUR: i64 = 195_583;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    /// Seed of the product content; shared products have the same value on every account.
    pub content: u64,
    pub id: u32,
    pub stock: u32,
    pub status: u8,
    pub vat_id: u8,
    pub handling: u8,
    pub reserved: u8,
    pub flags: u8,
    /// Prices in 1/10000 of the currency unit.
    pub sale: i64,
    pub min: i64,
    pub max: i64,
    pub rec: i64,
    /// Best competing price once the market moved (see `competition.rs`); unused while
    /// `rank` is 0.
    pub best: i64,
    /// Offers of the product once the market moved.
    pub n_offers: u8,
    /// Buy-button rank once the market moved; 0 = the static values of the content.
    pub rank: u8,
}

impl Offer {
    pub fn general_stock(&self) -> i64 {
        i64::from(self.stock)
    }
    pub fn estimated_stock(&self) -> i64 {
        (i64::from(self.stock) - i64::from(self.reserved)).max(0)
    }

    /// The offer's currency on its platform.
    pub fn currency(&self, platform: Platform) -> &'static str {
        if self.flags & FLAG_BGN != 0 {
            "BGN"
        } else {
            platform.currency()
        }
    }

    /// Converts every price between euro and leva at the fixed rate (4 dp, half up).
    pub fn convert_bgn(&mut self, to_bgn: bool) {
        let conv = |u: i64| -> i64 {
            if u == NO_PRICE {
                return u;
            }
            let u = i128::from(u);
            let v = if to_bgn {
                (u * i128::from(BGN_PER_EUR) + 50_000) / 100_000
            } else {
                (u * 100_000 * 2 + i128::from(BGN_PER_EUR)) / (2 * i128::from(BGN_PER_EUR))
            };
            i64::try_from(v).unwrap_or(i64::MAX).max(1)
        };
        for p in [
            &mut self.sale,
            &mut self.min,
            &mut self.max,
            &mut self.rec,
            &mut self.best,
        ] {
            *p = conv(*p);
        }
        if to_bgn {
            self.flags |= FLAG_BGN;
        } else {
            self.flags &= !FLAG_BGN;
        }
    }
}

/// VAT table of the platform: (vat_id, rate in percent, is_default).
pub fn vat_table(platform: Platform) -> [(u8, u32, bool); 3] {
    match platform {
        Platform::Ro => [(9, 21, true), (10, 11, false), (11, 0, false)],
        Platform::Bg => [(9, 20, true), (10, 9, false), (11, 0, false)],
        Platform::Hu => [(9, 27, true), (10, 5, false), (11, 0, false)],
    }
}

pub fn vat_rate(platform: Platform, vat_id: u8) -> u32 {
    vat_table(platform)
        .iter()
        .find(|v| v.0 == vat_id)
        .map(|v| v.1)
        .unwrap_or(21)
}

/// Handling times offered by `handling_time/read`, in days.
pub const HANDLING_DAYS: [u8; 9] = [0, 1, 2, 3, 6, 9, 30, 60, 90];

/// Whether the offer with this id is rendered as variant B.
pub fn is_variant_b(variant: ShapeVariant, id: u32) -> bool {
    match variant {
        ShapeVariant::A => false,
        ShapeVariant::B => true,
        ShapeVariant::Mixed => splitmix(u64::from(id) ^ 0x5EED_0FF5) & 1 == 1,
    }
}

/// Integer division rounding half up (positive operands).
pub fn round_div(n: i64, d: i64) -> i64 {
    (2 * n + d) / (2 * d)
}

/// Content seed of offer `index` of an account: ~30 % of indices are products every account
/// sells (same part number, different ids and stock), the rest belong to the account alone.
pub fn content_seed(seed: u64, account: &str, index: u64) -> u64 {
    if key(seed, "shared?", index) % 100 < 30 {
        key(seed, "shared-product", index)
    } else {
        key(seed, account, index) ^ 0xC0_47E7
    }
}

/// Gross retail price in cents: log-normal between 9.99 and 8,999.99, ending .99/.90/.00.
fn gross_cents(content: u64) -> i64 {
    let mut r = Mix::new(splitmix(content ^ 0x9_1CE));
    // Box–Muller from two uniforms; median ~150, sigma 1.1.
    let (u1, u2) = (r.unit().max(1e-12), r.unit());
    let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    let whole = (150.0 * (1.1 * normal).exp()).clamp(9.0, 8999.0) as i64;
    let cents = *r.pick(&[99, 99, 99, 90, 0]);
    // The floor of the range is 9.99, so the cheapest products always end in .99.
    whole * 100 + if whole == 9 { 99 } else { cents }
}

/// Sale price in units from a gross price: divided by (1 + VAT), 4 dp (HUF: whole forints).
pub fn prices(platform: Platform, content: u64, vat_pct: u32) -> (i64, i64, i64) {
    split(platform, gross_cents(content), vat_pct)
}

/// (sale, min, max) from a gross RON price in cents.
fn split(platform: Platform, gross: i64, vat_pct: u32) -> (i64, i64, i64) {
    let d = 100 + i64::from(vat_pct);
    let sale = match platform {
        Platform::Ro => round_div(gross * 10_000, d),
        // Euro prices are about 1/5 of RON ones; keep the retail endings by scaling whole units.
        Platform::Bg => round_div((gross / 5 / 100 * 100 + gross % 100) * 10_000, d),
        // Forints: about 80 per RON, whole numbers.
        Platform::Hu => round_div(gross * 80 / 100 * 100, d) * 10_000,
    };
    let whole = |u: i64| match platform {
        Platform::Hu => round_div(u, 10_000).max(1) * 10_000,
        _ => u.max(1),
    };
    let sale = whole(sale);
    (sale, whole(sale * 8 / 10), whole(sale * 3 / 2))
}

/// Generates offer `index` of `account` with the given id.
pub fn generate(seed: u64, account: &SimAccount, index: u64, id: u32) -> Offer {
    let content = content_seed(seed, &account.name, index);
    fresh(seed, account, content, index, id)
}

/// An offer's initial state for a content seed; `salt` varies the per-account state.
pub fn fresh(seed: u64, account: &SimAccount, content: u64, salt: u64, id: u32) -> Offer {
    let mut r = Mix::new(key(seed, &format!("{}#state", account.name), salt));
    let status = match r.below(100) {
        0..85 => 1,
        85..97 => 0,
        _ => 2,
    };
    let stock = if r.percent(10) {
        0
    } else if r.percent(5) {
        100 + r.below(900) as u32
    } else {
        1 + r.below(60) as u32
    };
    let reserved = if stock > 0 && r.percent(10) {
        (1 + r.below(2) as u32).min(stock) as u8
    } else {
        0
    };
    let vat_id = match r.below(100) {
        0..88 => 9,
        88..98 => 10,
        _ => 11,
    };
    let handling = *r.pick(&[0u8, 1, 1, 1, 1, 2, 2, 3, 6, 9, 30]);
    let flags = if r.percent(20) { FLAG_WAREHOUSE } else { 0 };
    let (sale, min, max) = prices(
        account.platform,
        content,
        vat_rate(account.platform, vat_id),
    );
    let b = is_variant_b(account.variant, id);
    let rec = if !b && r.percent(25) {
        NO_PRICE
    } else {
        let rec = sale * (110 + r.below(30) as i64) / 100;
        if account.platform == Platform::Hu {
            round_div(rec, 10_000) * 10_000
        } else {
            rec
        }
    };
    Offer {
        content,
        id,
        stock,
        status,
        vat_id,
        handling,
        reserved,
        flags,
        sale,
        min,
        max,
        rec,
        best: NO_PRICE,
        n_offers: 0,
        rank: 0,
    }
}

/// Id layout of an account: a seeded base and stride with a random gap inside each stride,
/// so ids ascend with the index, accounts overlap in places, and churn finds free ids between
/// neighbours to insert new offers mid-listing.
pub fn id_layout(seed: u64, account: &str) -> (u64, u64) {
    let k = key(seed, account, u64::MAX);
    (10_000 + k % 2_000, 3 + (k >> 32) % 3)
}

/// The seeded catalogue of an account, sorted by id.
pub fn generate_account(seed: u64, account: &SimAccount, campaign_rate: f64) -> Vec<Offer> {
    let locked = (campaign_rate.clamp(0.0, 1.0) * 10_000.0) as u64;
    let locks = account.kind == AccountKind::Main && locked > 0;
    let (base, stride) = id_layout(seed, &account.name);
    let mut offers = Vec::with_capacity(account.offers as usize);
    for i in 0..account.offers {
        let gap = key(seed, &account.name, i) % stride;
        let id = (base + i * stride + gap).min(u64::from(u32::MAX)) as u32;
        let mut offer = generate(seed, account, i, id);
        if locks && key(seed, "campaign", i) % 10_000 < locked {
            offer.flags |= FLAG_CAMPAIGN;
        }
        offers.push(offer);
    }
    offers
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sale_price_is_gross_over_vat_at_four_places() {
        // The contract's example: 129.99 RON with 21 % VAT is 107.4298.
        let (sale, min, max) = split(Platform::Ro, 12_999, 21);
        assert_eq!(sale, 1_074_298);
        assert!(min < sale && sale < max);
        let (huf, hmin, hmax) = split(Platform::Hu, 12_999, 27);
        assert!(
            [huf, hmin, hmax].iter().all(|p| p % 10_000 == 0),
            "HUF prices are whole"
        );
        let (bgn, ..) = split(Platform::Bg, 12_999, 20);
        assert!(bgn > 0 && bgn < sale);
    }

    #[test]
    fn gross_prices_stay_in_range_with_retail_endings() {
        for c in 0..5000u64 {
            let g = gross_cents(splitmix(c));
            assert!((999..=899_999).contains(&g), "{g}");
            assert!([99, 90, 0].contains(&(g % 100)));
        }
    }

    #[test]
    fn ids_ascend_and_statuses_follow_the_distribution() {
        let account = SimAccount::new("main", 10_000);
        let offers = generate_account(42, &account, 0.0);
        assert!(offers.windows(2).all(|w| w[0].id < w[1].id));
        let active = offers.iter().filter(|o| o.status == 1).count();
        assert!((8_200..8_800).contains(&active), "{active}");
        assert_eq!(offers, generate_account(42, &account, 0.0));
    }
}

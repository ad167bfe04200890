//! The eMAG Marketplace API simulator: a real HTTP server on loopback that behaves like eMAG,
//! quirks included (see `docs/emag-api.md` §13). Tests, `magsync demo` and benchmarks start it
//! in-process with [`start`]; `magsync simulator` runs it from the command line.
//!
//! The catalogue is a pure function of the seed: each offer keeps only a compact mutable state
//! (id, status, stock, prices in 1/10000 units) and its text content is re-derived from a
//! per-product seed whenever it is rendered, which is what lets 1,000,000 offers per account
//! start in well under a second and a few hundred MiB.

mod admin;
mod api;
mod auth;
mod catalogue;
mod clock;
mod competition;
mod content;
mod faults;
mod filter;
mod json;
mod ratelimit;
mod reference;
mod render;
mod reply;
mod rng;
mod save;
mod server;
mod state;
mod words;

pub use clock::SimClock;
pub use server::{SimHandle, start};

use std::fmt;
use std::str::FromStr;

/// MAIN is the seller's own stock; FBE (Fulfilled by eMAG) is a separate account whose stock
/// eMAG manages, so the simulator refuses stock changes there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountKind {
    Main,
    Fbe,
}

/// The marketplace an account sells on; it decides currency, VAT rates and price scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Platform {
    #[default]
    Ro,
    Bg,
    Hu,
}

impl Platform {
    pub fn currency(self) -> &'static str {
        match self {
            Platform::Ro => "RON",
            // Bulgaria is on the euro since 1 January 2026; leva catalogues come from
            // `SimConfig::bg_in_bgn` or `/__admin/currency`.
            Platform::Bg => "EUR",
            Platform::Hu => "HUF",
        }
    }
}

/// Offer JSON shape (§9.2): A as observed in real dumps, B as documented, or a per-offer mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShapeVariant {
    #[default]
    A,
    B,
    Mixed,
}

/// One simulated seller account with its own credentials, id space and rate budget.
#[derive(Debug, Clone, PartialEq)]
pub struct SimAccount {
    pub name: String,
    pub offers: u64,
    pub username: String,
    pub password: String,
    pub kind: AccountKind,
    pub platform: Platform,
    pub variant: ShapeVariant,
}

impl SimAccount {
    /// An RO account in variant A; username is the name, password `demo`, and the name `fbe`
    /// makes it an FBE account.
    pub fn new(name: &str, offers: u64) -> Self {
        SimAccount {
            name: name.to_string(),
            offers,
            username: name.to_string(),
            password: "demo".to_string(),
            kind: if name.eq_ignore_ascii_case("fbe") {
                AccountKind::Fbe
            } else {
                AccountKind::Main
            },
            platform: Platform::Ro,
            variant: ShapeVariant::A,
        }
    }
}

/// A fault the simulator can inject into read/count requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// 500 with a JSON `isError` body.
    E500,
    /// 502 with an nginx-style HTML page.
    E502Html,
    /// 503 with a JSON body.
    E503,
    /// 504 after a short delay (`SimConfig::gateway_delay_ms`).
    E504,
    /// Accept the request and answer nothing for `hang_secs`.
    Hang,
    /// 200 with truncated JSON.
    Malformed,
    /// 200 with `isError: true` and a message.
    IsError,
    /// 200 with a JSON body lacking `isError`.
    MissingIsError,
    /// A spurious 429, byte-identical to a real rate-limit answer.
    E429,
}

impl FaultKind {
    /// The kinds enabled when no list is given (the "default all").
    pub const DEFAULT: [FaultKind; 7] = [
        FaultKind::E500,
        FaultKind::E502Html,
        FaultKind::E504,
        FaultKind::Hang,
        FaultKind::Malformed,
        FaultKind::IsError,
        FaultKind::E429,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::E500 => "500",
            FaultKind::E502Html => "502html",
            FaultKind::E503 => "503",
            FaultKind::E504 => "504",
            FaultKind::Hang => "hang",
            FaultKind::Malformed => "malformed",
            FaultKind::IsError => "iserror",
            FaultKind::MissingIsError => "missingiserror",
            FaultKind::E429 => "429",
        }
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for FaultKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let kind = match s.trim().to_ascii_lowercase().as_str() {
            "500" => FaultKind::E500,
            "502html" | "502" => FaultKind::E502Html,
            "503" => FaultKind::E503,
            "504" => FaultKind::E504,
            "hang" => FaultKind::Hang,
            "malformed" => FaultKind::Malformed,
            "iserror" => FaultKind::IsError,
            "missingiserror" => FaultKind::MissingIsError,
            "429" => FaultKind::E429,
            other => {
                return Err(format!(
                    "unknown fault kind `{other}` (expected 500, 502html, 503, 504, hang, \
                     malformed, iserror, missingiserror or 429)"
                ));
            }
        };
        Ok(kind)
    }
}

/// Everything that determines a simulator instance.
#[derive(Debug, Clone, PartialEq)]
pub struct SimConfig {
    pub accounts: Vec<SimAccount>,
    /// Catalogue seed: same seed and accounts → byte-identical responses.
    pub seed: u64,
    /// Requests per rolling second per account; 0 disables rate limiting.
    pub rps: u32,
    /// Requests per rolling minute per account; 0 disables the minute window.
    pub rpm: u32,
    /// Added to every API answer.
    pub latency_ms: u64,
    /// Probability that a read/count request gets a fault.
    pub fault_rate: f64,
    /// Enabled fault kinds; empty means [`FaultKind::DEFAULT`].
    pub faults: Vec<FaultKind>,
    pub fault_seed: u64,
    /// Probability per read/count request that the catalogue changes first.
    pub churn_rate: f64,
    /// How long a `hang` fault holds the connection.
    pub hang_secs: u64,
    /// Delay before a `504` fault answers.
    pub gateway_delay_ms: u64,
    /// Share (0..1) of MAIN offers locked in the active stock-in-site campaign `BF`: their
    /// stock and price changes are refused (§10.4). Listed in `/__admin/stats`.
    pub campaign_rate: f64,
    /// Reproduce the reported real behaviour of ignoring read filters wrapped in `data`.
    pub ignore_wrapped_filters: bool,
    /// Answer `itemsPerPage > 100` with `isError` instead of silently capping it.
    pub strict_page_size: bool,
    /// What the rate-limit windows and fault storms measure time with.
    pub clock: SimClock,
    /// Share (0..1) of an account's offers whose competition (best competing price, number of
    /// offers, buy-button rank) moves before each `product_offer/read`; 0 keeps it static.
    pub competition_rate: f64,
    /// Seed of the moving market.
    pub competition_seed: u64,
    /// `bg` accounts start priced in leva, as catalogues made before the euro.
    pub bg_in_bgn: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            accounts: vec![SimAccount::new("main", 1274), SimAccount::new("fbe", 1271)],
            seed: 42,
            rps: 3,
            rpm: 180,
            latency_ms: 0,
            fault_rate: 0.0,
            faults: FaultKind::DEFAULT.to_vec(),
            fault_seed: 7,
            churn_rate: 0.0,
            hang_secs: 120,
            gateway_delay_ms: 500,
            campaign_rate: 0.0,
            ignore_wrapped_filters: false,
            strict_page_size: false,
            clock: SimClock::default(),
            competition_rate: 0.0,
            competition_seed: 11,
            bg_in_bgn: false,
        }
    }
}

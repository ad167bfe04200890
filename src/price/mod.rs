//! Price intelligence (issue 18): who holds the buy button and what price would win it back,
//! each offer's price history read for the 30-day lowest price (the EU rule on announced price
//! reductions), VAT-inclusive shelf prices and Bulgaria's change from leva to euro. Pure logic
//! plus the store queries' assembly; the CLI (`magsync buybox`, `magsync smart-deals`) and the
//! dashboard's Buy button tab both call it.

pub mod buybox;
pub mod costs;
pub mod money;
pub mod smart_deals;
pub mod spark;
pub mod suggest;

pub use buybox::{BuyboxEntry, BuyboxOptions, Move, Window, buybox};
pub use suggest::{SuggestInput, Suggestion, suggest};
